//! Synthetic credits land in a real gate's ledger, where its reader pages
//! through them like any other credits.

use bulkhead_benches::synthetic::append_synthetic_credits;
use bulkhead_node::ledger::{Ledger, LedgerReader};
use bulkhead_testkit::chain::{config, verifier_keys};

#[test]
fn credit_cursors_beyond_any_id_give_an_empty_page() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    append_synthetic_credits(dir.path(), 3, 1).unwrap();
    let reader = LedgerReader::open(dir.path()).unwrap();
    assert_eq!(reader.credits(None, 0, 10).unwrap().credits.len(), 3);
    for after in [u64::MAX, 1 << 63] {
        let page = reader.credits(None, after, 10).unwrap();
        assert!(page.credits.is_empty() && page.next.is_none());
    }
}

#[test]
fn a_second_append_continues_the_sequence_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    Ledger::create(dir.path(), config(2), vec![verifier_keys()]).unwrap();
    append_synthetic_credits(dir.path(), 4, 2).unwrap();
    append_synthetic_credits(dir.path(), 3, 2).unwrap();
    let reader = LedgerReader::open(dir.path()).unwrap();
    assert_eq!(reader.credits(None, 0, 100).unwrap().credits.len(), 7);
    // A gate holding the lock keeps synthetic writers out.
    let _open = Ledger::open(dir.path(), |_| Ok(Some(vec![verifier_keys()]))).unwrap();
    assert!(append_synthetic_credits(dir.path(), 1, 1).is_err());
}
