//! The `pstkit` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod check;
mod export;
mod gen;
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
    /// Write a deterministic synthetic mailbox (for tests and benchmarks).
    Gen {
        /// The file to write.
        out: PathBuf,
        /// How many messages.
        #[arg(long, default_value_t = 100)]
        messages: u64,
        /// Generator seed: the same seed gives the same bytes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write an OST instead of a PST.
        #[arg(long)]
        ost: bool,
        /// Write the Outlook 2013 4K-page OST variant (implies --ost).
        #[arg(long = "4k")]
        four_k: bool,
        /// Block encoding: none, compressible or high.
        #[arg(long, default_value = "compressible")]
        encoding: String,
    },
    /// Export every folder's items: .eml files (contacts .vcf, calendar .ics) or one mbox per folder.
    Export {
        /// The .pst or .ost file.
        file: PathBuf,
        /// eml: a directory per folder, one file per item; mbox: one mboxrd file per folder.
        #[arg(long, value_enum, default_value = "eml")]
        format: export::Format,
        /// The directory to write into (created when missing).
        #[arg(long)]
        out: PathBuf,
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
        Command::Gen {
            out,
            messages,
            seed,
            ost,
            four_k,
            encoding,
        } => parse_crypt(&encoding).and_then(|crypt| {
            gen::run(
                &out,
                &gen::GenArgs {
                    messages,
                    seed,
                    ost: ost || four_k,
                    four_k,
                    crypt,
                },
            )
        }),
        Command::Check { file, json } => check::run(&file, json).map_err(Into::into),
        Command::Ls { file, json } => ls::run(&file, json),
        Command::Show { file, id, json } => show::run(&file, &id, json),
        Command::Export { file, format, out } => export::run(&file, format, &out),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pstkit: {e:#}");
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

/// Reads an encoding name as `info` prints it.
fn parse_crypt(name: &str) -> anyhow::Result<pstkit::ndb::CryptMethod> {
    use pstkit::ndb::CryptMethod;
    Ok(match name {
        "none" => CryptMethod::None,
        "compressible" | "permute" => CryptMethod::Permute,
        "high" | "cyclic" => CryptMethod::Cyclic,
        other => anyhow::bail!("unknown encoding {other:?}: use none, compressible or high"),
    })
}
