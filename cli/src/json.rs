//! Reading the JSON files a user hands the command, with errors that name
//! the file and the field path.

use std::path::Path;

use serde::Deserialize;

use crate::error::CliError;

/// Reads JSON from `path`; errors say `file: field.path: problem`.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, CliError> {
    let bytes = std::fs::read(path).map_err(CliError::io(path))?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        CliError::Json {
            path: path.to_path_buf(),
            field: if field == "." {
                "(top level)".into()
            } else {
                field
            },
            message: e.inner().to_string(),
        }
    })?;
    // One document per file: trailing bytes are an error, not ignored.
    de.end().map_err(|e| CliError::Json {
        path: path.to_path_buf(),
        field: "(after the document)".into(),
        message: e.to_string(),
    })?;
    Ok(value)
}
