//! The one error type of the subcommands: already worded for the person, with its exit code.

/// An error already worded for the person, with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: i32,
}

impl CliError {
    pub fn new(message: &str, code: i32) -> CliError {
        CliError { message: message.to_string(), code }
    }
}
