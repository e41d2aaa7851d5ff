//! Writes the wasm runtimes' test fixtures into the directory given
//! (see `bulkhead_wasm_host::fixtures`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: wasm-fixtures DIR");
        return ExitCode::from(2);
    };
    match bulkhead_wasm_host::fixtures::write(&dir) {
        Ok(()) => {
            println!("{}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("writing fixtures to {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}
