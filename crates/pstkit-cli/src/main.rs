//! The `pstkit` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod check;
mod info;
mod ls;
mod show;

/// Exit status when the input is damaged or a check found problems.
const EXIT_DAMAGED: u8 = 1;
/// Exit status when the input cannot be read at all.
const EXIT_UNREADABLE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "pstkit",
    version,
    about = "Open Outlook .pst and .ost files without Outlook"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Describe a file: kind, variant, encoding, sizes, node and block counts, header CRCs.
    Info {
        /// The .pst or .ost file.
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the folder tree with item counts; with --json, JSON Lines of folders and items.
    Ls {
        /// The .pst or .ost file.
        file: PathBuf,
        /// Print JSON Lines: one object per folder and per item.
        #[arg(long)]
        json: bool,
    },
    /// Print every property of one item, with its recipients and attachments.
    Show {
        /// The .pst or .ost file.
        file: PathBuf,
        /// The item id, as `ls --json` prints it (decimal, or hex with 0x); a
        /// folder id or 0x21 (the message store) shows that object.
        id: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify every page, block, CRC, signature and tree; exit 0 only when all is clean.
    Check {
        /// The .pst or .ost file.
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // Die quietly when the reader of our output goes away (`pstkit ls | head`),
    // as command-line tools do, instead of panicking on a failed print.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of a signal has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info { file, json } => info::run(&file, json).map_err(Into::into),
        Command::Check { file, json } => check::run(&file, json).map_err(Into::into),
        Command::Ls { file, json } => ls::run(&file, json),
        Command::Show { file, id, json } => show::run(&file, &id, json),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pstkit: {e:#}");
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}
