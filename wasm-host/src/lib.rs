//! A contract host for Bulkhead's wasm verifier ([`ContractHost`]): the
//! contract-style module (no imports, no JS glue) loaded in `wasmi` with
//! fuel metering and a memory cap, as a chain would run it; the build of
//! that module ([`build_module`]); and the fixtures the wasm runtimes are
//! tested with ([`fixtures`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use thiserror::Error;
use wasmi::{
    Config, Engine, Instance, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder,
    TypedFunc,
};

/// Why the host could not build, load or run the module.
#[derive(Debug, Error)]
pub enum HostError {
    /// `wasm/build.sh` could not be started.
    #[error("building the wasm module failed: {0}")]
    BuildStart(#[source] std::io::Error),
    /// `wasm/build.sh` failed.
    #[error("building the wasm module failed: {stderr}")]
    Build {
        /// What the script wrote on its standard error.
        stderr: String,
    },
    /// A verifying-key digest file that does not hold 64 hex digits.
    #[error("{path}: not 64 hex digits")]
    BadDigest {
        /// The digest file.
        path: PathBuf,
    },
    /// The module could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The module's path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// wasmi refused the module, or the module trapped (out of fuel
    /// included).
    #[error("wasmi: {0}")]
    Wasmi(#[from] wasmi::Error),
    /// The module does not export what the contract interface promises.
    #[error("the module lacks the export {0}")]
    MissingExport(&'static str),
    /// `alloc` refused a buffer.
    #[error("the module refused to allocate {0} bytes")]
    Alloc(usize),
    /// An earlier call trapped; the instance's state is unspecified.
    #[error("the instance trapped earlier; load a fresh one")]
    Poisoned,
}

/// Which module `wasm/build.sh` builds.
#[derive(Clone, Copy, Debug)]
pub enum Flavour {
    /// The contract-host module: no imports.
    Contract,
    /// The wasm-bindgen module for browsers and Node.
    Web,
}

/// The workspace root (this crate's parent).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lies in the workspace")
        .to_path_buf()
}

/// Builds a flavour of the module with `wasm/build.sh` (cargo for wasm32 in
/// a target directory of its own, so it never waits on the cargo running
/// the tests) and returns the `.wasm` path the script prints.
pub fn build_module(flavour: Flavour) -> Result<PathBuf, HostError> {
    let which = match flavour {
        Flavour::Contract => "contract",
        Flavour::Web => "web",
    };
    let root = workspace_root();
    let output = Command::new("bash")
        .arg(root.join("wasm/build.sh"))
        .arg(which)
        .current_dir(&root)
        .output()
        .map_err(HostError::BuildStart)?;
    if !output.status.success() {
        return Err(HostError::Build {
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout.lines().last().unwrap_or_default().trim();
    Ok(root.join(path))
}

/// What one call cost: fuel (wasmi's deterministic instruction count) and
/// wall time on this machine.
#[derive(Clone, Copy, Debug)]
pub struct Cost {
    /// Fuel consumed.
    pub fuel: u64,
    /// Wall time.
    pub wall: Duration,
}

/// `init`'s arguments: parameters, key and shape as (offset, length),
/// then the offset of the 32-byte digest.
type InitArgs = (u32, u32, u32, u32, u32, u32, u32);

/// The contract module instantiated in wasmi with fuel metering on.
pub struct ContractHost {
    budget: FuelBudget,
    /// Set by a trap: every later call is refused.
    poisoned: bool,
    store: Store<StoreLimits>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    dealloc: TypedFunc<(u32, u32), ()>,
    init: TypedFunc<InitArgs, i32>,
    verify: TypedFunc<(u32, u32), i32>,
}

/// Fuel allowed per call: a runaway traps when it runs out.
#[derive(Clone, Copy, Debug)]
pub struct FuelBudget {
    /// For `init` (with the key read: 2.7 G fuel at TINY, 45.5 G at the
    /// default shape; deriving the key costs far more).
    pub init: u64,
    /// For one `verify` (2.0 G at TINY, 21.3 G at the default shape).
    pub verify: u64,
    /// For `alloc` and `dealloc` (a few thousand instructions).
    pub memory: u64,
}

impl FuelBudget {
    /// About four times what the default shape needs (measured, see
    /// docs/PERFORMANCE.md): room for slower shapes, a bound on a runaway.
    pub const DEFAULT: FuelBudget = FuelBudget {
        init: 200_000_000_000,
        verify: 100_000_000_000,
        memory: 100_000_000,
    };
}

/// Linear memory the module may grow to (parameters at the default shape
/// are 2 MiB; key material and proofs far less).
pub const MEMORY_LIMIT: usize = 1 << 30;

impl ContractHost {
    /// Loads `module` (bytes of the contract flavour) with
    /// [`FuelBudget::DEFAULT`]. The module may import nothing: the linker
    /// defines no host functions, so any import fails instantiation.
    pub fn load(module: &[u8]) -> Result<Self, HostError> {
        Self::load_with(module, FuelBudget::DEFAULT)
    }

    /// [`Self::load`] with another fuel budget.
    pub fn load_with(module: &[u8], budget: FuelBudget) -> Result<Self, HostError> {
        let mut config = Config::default();
        config.consume_fuel(true);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, module)?;
        let limits = StoreLimitsBuilder::new().memory_size(MEMORY_LIMIT).build();
        let mut store = Store::new(&engine, limits);
        store.limiter(|limits| limits);
        store.set_fuel(budget.memory)?;
        let linker = Linker::<StoreLimits>::new(&engine);
        let instance = linker.instantiate_and_start(&mut store, &module)?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or(HostError::MissingExport("memory"))?;
        Ok(Self {
            budget,
            poisoned: false,
            alloc: func(&instance, &store, "alloc")?,
            dealloc: func(&instance, &store, "dealloc")?,
            init: func(&instance, &store, "init")?,
            verify: func(&instance, &store, "verify")?,
            store,
            memory,
        })
    }

    /// Loads the module file at `path`.
    pub fn load_file(path: &Path) -> Result<Self, HostError> {
        let bytes = std::fs::read(path).map_err(|source| HostError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::load(&bytes)
    }

    /// Calls `init` with the parameters, the key bytes (empty: derive the
    /// key inside the module), the shape JSON and the registered digest;
    /// returns the module's status code and the cost.
    pub fn init(
        &mut self,
        params: &[u8],
        key: &[u8],
        shape_json: &[u8],
        digest: &[u8; 32],
    ) -> Result<(i32, Cost), HostError> {
        let buffers = [params, key, shape_json, &digest[..]];
        let mut placed = Vec::new();
        for bytes in buffers {
            placed.push(self.place(bytes)?);
        }
        let args = (
            placed[0].0,
            placed[0].1,
            placed[1].0,
            placed[1].1,
            placed[2].0,
            placed[2].1,
            placed[3].0,
        );
        let init = self.init;
        let result = self.metered(self.budget.init, |store| init.call(store, args))?;
        for (ptr, len) in placed {
            self.free(ptr, len)?;
        }
        Ok(result)
    }

    /// Calls `verify` on `bundle`: the status code (0 accepted, 1-6 the
    /// refusal) and the cost.
    pub fn verify(&mut self, bundle: &[u8]) -> Result<(i32, Cost), HostError> {
        self.verify_with_fuel(bundle, self.budget.verify)
    }

    /// [`Self::verify`] with at most `fuel`: a call that needs more traps
    /// (the host's defence against a runaway module). After a trap the
    /// instance is refused ([`HostError::Poisoned`]); load a fresh one.
    pub fn verify_with_fuel(&mut self, bundle: &[u8], fuel: u64) -> Result<(i32, Cost), HostError> {
        let (ptr, len) = self.place(bundle)?;
        let verify = self.verify;
        let result = self.metered(fuel, |store| verify.call(store, (ptr, len)))?;
        self.free(ptr, len)?;
        Ok(result)
    }

    /// Runs one call with an allowance of `fuel` and measures it. A trap
    /// poisons the instance.
    fn metered<R>(
        &mut self,
        fuel: u64,
        call: impl FnOnce(&mut Store<StoreLimits>) -> Result<R, wasmi::Error>,
    ) -> Result<(R, Cost), HostError> {
        if self.poisoned {
            return Err(HostError::Poisoned);
        }
        self.store.set_fuel(fuel)?;
        let start = Instant::now();
        let result = call(&mut self.store);
        let wall = start.elapsed();
        let value = result.inspect_err(|_| self.poisoned = true)?;
        let fuel = fuel - self.store.get_fuel()?;
        Ok((value, Cost { fuel, wall }))
    }

    /// Copies `bytes` into a buffer from the module's `alloc`; an empty
    /// input is `(0, 0)`, which the interface reads as empty.
    fn place(&mut self, bytes: &[u8]) -> Result<(u32, u32), HostError> {
        if bytes.is_empty() {
            return Ok((0, 0));
        }
        let len = u32::try_from(bytes.len()).map_err(|_| HostError::Alloc(bytes.len()))?;
        let alloc = self.alloc;
        let (ptr, _) = self.metered(self.budget.memory, |store| alloc.call(store, len))?;
        if ptr == 0 {
            return Err(HostError::Alloc(bytes.len()));
        }
        self.memory
            .write(&mut self.store, ptr as usize, bytes)
            .map_err(|e| HostError::Wasmi(e.into()))?;
        Ok((ptr, len))
    }

    fn free(&mut self, ptr: u32, len: u32) -> Result<(), HostError> {
        if len == 0 {
            return Ok(());
        }
        let dealloc = self.dealloc;
        self.metered(self.budget.memory, |store| dealloc.call(store, (ptr, len)))?;
        Ok(())
    }
}

fn func<P: wasmi::WasmParams, R: wasmi::WasmResults>(
    instance: &Instance,
    store: &Store<StoreLimits>,
    name: &'static str,
) -> Result<TypedFunc<P, R>, HostError> {
    instance
        .get_typed_func::<P, R>(store, name)
        .map_err(|_| HostError::MissingExport(name))
}
