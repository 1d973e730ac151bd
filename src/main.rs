//! The `hackcoach` binary: parse arguments, set up logging, hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = hackcoach::cli::Cli::parse();
    // The bot logs what it does; the offline commands only what goes wrong.
    let default_filter = match cli.command {
        hackcoach::cli::CliCommand::Run => "info",
        _ => "warn",
    };
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| default_filter.to_string());
    tracing_subscriber::fmt().with_env_filter(hackcoach::cli::log_filter(&spec)).with_writer(std::io::stderr).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: starting the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(hackcoach::cli::run(cli)) {
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
