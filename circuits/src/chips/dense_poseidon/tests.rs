//! Tests of the dense Poseidon chip: vectors, the native sponge, every
//! named constraint and every binding.

use super::*;
use ff::PrimeField;
use halo2_proofs::{
    circuit::SimpleFloorPlanner,
    dev::{MockProver, VerifyFailure},
    plonk::{Circuit, Instance},
};

use bulkhead_protocol::hash::{capacity, hash, tag};

#[test]
fn the_row_by_row_permutation_matches_halo2_poseidon_vectors() {
    let read = |bytes: &[[u8; 32]; 3]| bytes.map(|b| Fp::from_repr(b).unwrap());
    let vectors = halo2_poseidon::test_vectors::fp::permute();
    assert!(!vectors.is_empty());
    for vector in vectors {
        assert_eq!(
            permute(read(&vector.initial_state)),
            read(&vector.final_state)
        );
    }
}

/// Field elements that look random (full width), deterministically.
fn random_inputs(len: usize) -> Vec<Fp> {
    (0..len as u64)
        .map(|i| hash(tag::OWNER, &[Fp::from(i + 1000 * len as u64)]))
        .collect()
}

/// Columns of the test circuits: the chip, an advice column for the
/// inputs, and the output as the public input.
type TestConfig = (DensePoseidonConfig, Column<Advice>, Column<Instance>);

fn configure(meta: &mut ConstraintSystem<Fp>) -> TestConfig {
    let input = meta.advice_column();
    meta.enable_equality(input);
    let output = meta.instance_column();
    meta.enable_equality(output);
    let constants = meta.fixed_column();
    meta.enable_constant(constants);
    (DensePoseidonConfig::configure(meta), input, output)
}

fn assign_inputs(
    layouter: &mut impl Layouter<Fp>,
    input: Column<Advice>,
    values: &[Fp],
) -> Result<Vec<Cell>, Error> {
    layouter.assign_region(
        || "inputs",
        |mut region| {
            values
                .iter()
                .enumerate()
                .map(|(row, v)| region.assign_advice(|| "input", input, row, || Value::known(*v)))
                .collect()
        },
    )
}

/// `L` inputs hashed through [`DensePoseidonConfig::hash`] (the path the
/// circuit takes), output bound to the public input.
#[derive(Clone, Debug)]
struct ChipHash<const L: usize> {
    inputs: [Fp; L],
}

impl<const L: usize> Circuit<Fp> for ChipHash<L> {
    type Config = TestConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        configure(meta)
    }

    fn synthesize(
        &self,
        (chip, input, output): Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let cells = assign_inputs(&mut layouter, input, &self.inputs)?;
        let words: [Word; L] = std::array::from_fn(|i| Word::Cell(cells[i].clone()));
        let out = chip.hash::<{ tag::EXIT_LEAF }, L>(layouter.namespace(|| "hash"), words)?;
        layouter.constrain_instance(out.cell(), output, 0)
    }
}

fn assert_chip_hash_is_native<const L: usize>() {
    let inputs: [Fp; L] = random_inputs(L).try_into().unwrap();
    let expected = hash(tag::EXIT_LEAF, &inputs);
    let circuit = ChipHash { inputs };
    assert_eq!(
        MockProver::run(7, &circuit, vec![vec![expected]])
            .unwrap()
            .verify(),
        Ok(()),
        "{L} inputs"
    );
    // The same proof cannot claim another output.
    let other = expected + Fp::ONE;
    assert!(MockProver::run(7, &circuit, vec![vec![other]])
        .unwrap()
        .verify()
        .is_err());
}

#[test]
fn hashes_equal_the_native_sponge_for_every_input_length_used() {
    // The circuit hashes 2 to 6 inputs; 1 and 7 cover the edges.
    assert_chip_hash_is_native::<1>();
    assert_chip_hash_is_native::<2>();
    assert_chip_hash_is_native::<3>();
    assert_chip_hash_is_native::<4>();
    assert_chip_hash_is_native::<5>();
    assert_chip_hash_is_native::<6>();
    assert_chip_hash_is_native::<7>();
}

/// Which witness cell a test changes.
#[derive(Clone, Copy, Debug)]
enum Site {
    /// S-box cell `column` of round row `row` of block `block`.
    Sbox {
        block: usize,
        row: usize,
        column: usize,
    },
    /// Word `word` of the state of row `row` of block `block`.
    State {
        block: usize,
        row: usize,
        word: usize,
    },
}

/// Five inputs (three blocks) in domain `SILO_LEAF`, output bound to
/// the public input (the native hash of `inputs`). The witness may be
/// computed from other words or another capacity, and one of its cells
/// changed.
#[derive(Clone, Debug, Default)]
struct Tampered {
    witness_words: Option<Vec<Fp>>,
    witness_capacity: Option<Fp>,
    site: Option<Site>,
}

const INPUTS: usize = 5;

impl Circuit<Fp> for Tampered {
    type Config = TestConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        configure(meta)
    }

    fn synthesize(
        &self,
        (chip, input, output): Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let inputs = random_inputs(INPUTS);
        let cells = assign_inputs(&mut layouter, input, &inputs)?;
        let capacity = capacity(tag::SILO_LEAF, INPUTS);
        let words: Vec<Word> = cells
            .into_iter()
            .map(Word::Cell)
            .chain([Word::Constant(Fp::ZERO)])
            .collect();
        let mut values = inputs;
        values.push(Fp::ZERO);
        let mut witness = HashWitness::compute(
            self.witness_capacity.unwrap_or(capacity),
            self.witness_words.as_deref().unwrap_or(&values),
        );
        match self.site {
            Some(Site::Sbox { block, row, column }) => witness.sbox[block][row][column] += Fp::ONE,
            Some(Site::State { block, row, word }) => witness.states[block][row][word] += Fp::ONE,
            None => {}
        }
        let out = chip.assign_hash(
            layouter.namespace(|| "hash"),
            capacity,
            &words,
            Value::known(witness),
        )?;
        layouter.constrain_instance(out.cell(), output, 0)
    }
}

fn verify(circuit: &Tampered) -> Result<(), Vec<VerifyFailure>> {
    let expected = hash(tag::SILO_LEAF, &random_inputs(INPUTS));
    MockProver::run(7, circuit, vec![vec![expected]])
        .unwrap()
        .verify()
}

/// Asserts that changing `site` fails the constraint `name`, and that
/// every failure is a gate constraint (or, at the output, the
/// binding to the public input).
fn assert_breaks(site: Site, name: &str) {
    let circuit = Tampered {
        site: Some(site),
        ..Tampered::default()
    };
    let failures = verify(&circuit).expect_err("a changed cell was accepted");
    let reports: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    let needle = format!("'{name}') in gate");
    assert!(
        reports.iter().any(|r| r.contains(&needle)),
        "{site:?}: expected {name:?} to fail, got:\n{}",
        reports.join("\n")
    );
    assert!(
        failures.iter().all(|f| matches!(
            f,
            VerifyFailure::ConstraintNotSatisfied { .. } | VerifyFailure::Permutation { .. }
        )),
        "{site:?}: {failures:?}"
    );
}

#[test]
fn the_honest_witness_is_accepted() {
    assert_eq!(verify(&Tampered::default()), Ok(()));
}

#[test]
fn every_sbox_cell_is_constrained_by_its_named_round() {
    for block in 0..INPUTS.div_ceil(RATE) {
        for (row, kind) in row_kinds().into_iter().enumerate() {
            match kind {
                RowKind::Full(_) => {
                    for column in 0..SBOX {
                        let name = FULL_NAMES[column / WIDTH][column % WIDTH];
                        assert_breaks(Site::Sbox { block, row, column }, name);
                    }
                }
                RowKind::Partial(_) => {
                    // The last round's output is the next state.
                    for (column, name) in PARTIAL_NAMES[..PARTIAL_PER_ROW - 1].iter().enumerate() {
                        assert_breaks(Site::Sbox { block, row, column }, name);
                    }
                }
            }
        }
    }
}

#[test]
fn every_state_is_fixed_by_the_row_before_it() {
    let blocks = INPUTS.div_ceil(RATE);
    for block in 0..blocks {
        for row in 1..ROWS_PER_PERMUTATION {
            for word in 0..WIDTH {
                let name = match row_kinds()[row - 1] {
                    RowKind::Full(_) => FULL_NAMES[FULL_PER_ROW - 1][word],
                    RowKind::Partial(_) if word == 0 => PARTIAL_NAMES[PARTIAL_PER_ROW - 1],
                    RowKind::Partial(_) => PASS_NAMES[word - 1],
                };
                assert_breaks(Site::State { block, row, word }, name);
            }
        }
        if block > 0 {
            for (word, name) in ["absorb word 0", "absorb word 1", "capacity passes"]
                .into_iter()
                .enumerate()
            {
                assert_breaks(
                    Site::State {
                        block,
                        row: 0,
                        word,
                    },
                    name,
                );
            }
        }
    }
}

/// A witness that is a correct run of the permutation, but on other
/// words or another capacity, fails only the copy and constant
/// constraints that bind the absorbed cells.
fn assert_only_binding_fails(circuit: Tampered) {
    let failures = verify(&circuit).expect_err("another input was accepted");
    assert!(
        failures
            .iter()
            .all(|f| matches!(f, VerifyFailure::Permutation { .. })),
        "{failures:?}"
    );
}

#[test]
fn absorbed_cells_are_bound_to_the_inputs_capacity_and_padding() {
    let mut words = random_inputs(INPUTS);
    words.push(Fp::ZERO);
    // Index 0: first block; 2: absorbed into the second block; 5: the
    // padding word.
    for index in [0, 1, 2, 4, 5] {
        let mut other = words.clone();
        other[index] += Fp::ONE;
        assert_only_binding_fails(Tampered {
            witness_words: Some(other),
            ..Tampered::default()
        });
    }
    let capacity = capacity(tag::SILO_LEAF, INPUTS);
    assert_only_binding_fails(Tampered {
        witness_capacity: Some(capacity + Fp::ONE),
        ..Tampered::default()
    });
}
