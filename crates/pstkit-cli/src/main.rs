//! The `pstkit` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod binding;
mod check;
mod convert;
mod export;
mod gen;
mod import;
mod info;
mod ls;
mod show;
mod signals;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Threads for the work that runs in parallel (check, convert's verify
    /// pass, export); default: one per CPU for export and convert, and two
    /// for checks of files from 16 MiB.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

/// The `--threads` the user gave, for every command that starts threads.
static THREADS: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();

/// The thread count asked for with `--threads`, if any.
fn threads() -> Option<usize> {
    THREADS.get().copied().flatten()
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
        /// For an OST: the Exchange server it is bound to.
        #[arg(long)]
        server: Option<String>,
        /// For an OST: the mailbox it is bound to.
        #[arg(long)]
        mailbox: Option<String>,
        /// For an OST: the Outlook profile it is bound to.
        #[arg(long)]
        profile: Option<String>,
        /// Replace an existing destination (a regular file only; never
        /// through a link).
        #[arg(long)]
        force: bool,
    },
    /// Export every folder's items: .eml files (contacts .vcf, calendar .ics), one mbox per
    /// folder, a Maildir++ tree, or two Parquet tables (messages and attachments).
    Export {
        /// The .pst or .ost file.
        file: PathBuf,
        /// eml: a directory per folder, one file per item; mbox: one mboxrd file per folder;
        /// parquet: messages.parquet and attachments.parquet.
        #[arg(long, value_enum, default_value = "eml")]
        format: export::Format,
        /// The directory to write into: new, or empty (unless --force).
        #[arg(long)]
        out: PathBuf,
        /// Write into a directory that holds files, replacing files of the
        /// same names.
        #[arg(long)]
        force: bool,
        /// With --format parquet: put the attached bytes in attachments.parquet
        /// (column `data`).
        #[arg(long)]
        with_attachment_data: bool,
    },
    /// Copy any readable PST or OST into a new Unicode PST (or a bound OST).
    Convert {
        /// The file to read (never modified).
        src: PathBuf,
        /// The file to write (atomically, after a verify pass).
        dst: PathBuf,
        #[command(flatten)]
        out: OutputArgs,
        /// Go on past damaged items: copy what of each reads, reporting
        /// each one copied in part or lost.
        #[arg(long)]
        salvage: bool,
        /// Also copy deleted items not yet overwritten, into "Recovered
        /// deleted items" (scans the whole file; implies --salvage).
        #[arg(long)]
        recover_deleted: bool,
        /// Decode and rebuild every item instead of moving items as stored
        /// (slower; items whose tables or values cannot be read are reported
        /// instead of copied as they are).
        #[arg(long)]
        rebuild: bool,
    },
    /// Write a repaired copy: every item salvaged and rebuilt, tables,
    /// counts, sizes and maps recomputed, orphaned items put back; each
    /// finding of the source's deep check is reported as a change, and the
    /// copy is published only when its own deep check finds nothing.
    Repair {
        /// The damaged file (never modified).
        src: PathBuf,
        /// The repaired file (written atomically, after the checks).
        dst: PathBuf,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Show, verify or set the mailbox an OST is bound to.
    Binding {
        #[command(subcommand)]
        action: BindingAction,
    },
    /// Import EML and .msg files, folders of them, mbox files and maildirs into a new PST.
    Import {
        /// EML and .msg files, directories of them, mbox files, maildirs.
        #[arg(required = true, num_args = 1..)]
        paths: Vec<PathBuf>,
        /// The PST to write.
        #[arg(short = 'o', long = "out", required = true)]
        out: PathBuf,
        /// Replace an existing destination (a regular file only; never
        /// through a link).
        #[arg(long)]
        force: bool,
        /// Block encoding of the output: none, compressible or high.
        #[arg(long, default_value = "compressible")]
        encoding: String,
        /// Skip damaged .msg files (each reported, exit status 1) instead
        /// of stopping at the first, which leaves no output.
        #[arg(long)]
        salvage: bool,
    },
    /// Verify every page, block, CRC, signature and tree; exit 0 only when all is clean.
    Check {
        /// The .pst or .ost file.
        file: PathBuf,
        /// Also decode every folder and item (properties, recipient and
        /// attachment tables, attachments, embedded messages), as a copy
        /// would: finds damage inside sound blocks
        #[arg(long)]
        deep: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// What `convert` and `repair` write.
#[derive(clap::Args, Debug)]
struct OutputArgs {
    /// Output kind: pst or ost (default: from DST's extension).
    #[arg(long)]
    to: Option<String>,
    /// For an OST output: the Exchange server it is bound to.
    #[arg(long)]
    server: Option<String>,
    /// For an OST output: the mailbox it is bound to.
    #[arg(long)]
    mailbox: Option<String>,
    /// For an OST output: the Outlook profile it is bound to.
    #[arg(long)]
    profile: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Block encoding of the output: none, compressible or high.
    #[arg(long, default_value = "compressible")]
    encoding: String,
    /// Write the Outlook 2013 4K-page OST variant.
    #[arg(long = "4k")]
    four_k: bool,
    /// Replace an existing destination (a regular file only; never
    /// through a link).
    #[arg(long)]
    force: bool,
}

/// How a copy reads its source: what `convert`'s flags say, or `repair`.
struct How {
    salvage: bool,
    recover_deleted: bool,
    rebuild: bool,
    repair: bool,
}

impl OutputArgs {
    /// The conversion these options and `how` ask for.
    fn convert(self, src: PathBuf, dst: PathBuf, how: How) -> anyhow::Result<convert::ConvertArgs> {
        let How {
            salvage,
            recover_deleted,
            rebuild,
            repair,
        } = how;
        Ok(convert::ConvertArgs {
            src,
            dst,
            to: self.to,
            server: self.server,
            mailbox: self.mailbox,
            profile: self.profile,
            salvage,
            recover_deleted,
            rebuild,
            json: self.json,
            crypt: parse_crypt(&self.encoding)?,
            four_k: self.four_k,
            replace: replace(self.force),
            repair,
        })
    }
}

#[derive(Subcommand)]
enum BindingAction {
    /// What the file says about the mailbox it belongs to.
    Show {
        /// The .ost (or .pst) file.
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when the file belongs to this mailbox; 3 when it is configured
    /// for another mailbox (with the fields that differ); 4 when it cannot be
    /// told. Compare with one of: --mailbox-guid, --profile, or --server and
    /// --mailbox (pstkit's own binding record).
    Verify {
        /// The .ost file.
        file: PathBuf,
        /// The mailbox's GUID, as `Get-Mailbox NAME | fl ExchangeGuid` prints it.
        #[arg(long, value_name = "GUID")]
        mailbox_guid: Option<String>,
        /// A regedit export (.reg) of the Outlook profile's key, e.g. of
        /// HKCU\Software\Microsoft\Office\16.0\Outlook\Profiles\Outlook.
        #[arg(long, value_name = "PROFILE.reg")]
        profile: Option<PathBuf>,
        /// Exchange server host name (pstkit's binding record).
        #[arg(long)]
        server: Option<String>,
        /// Mailbox address (pstkit's binding record).
        #[arg(long)]
        mailbox: Option<String>,
        /// Outlook profile name in pstkit's binding record (compared only
        /// when given).
        #[arg(long)]
        profile_name: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a copy bound to another account (or rebind the file atomically
    /// with --in-place, keeping a .bak).
    Set {
        /// The file to rebind.
        file: PathBuf,
        /// Exchange server host name.
        #[arg(long)]
        server: String,
        /// Mailbox address.
        #[arg(long)]
        mailbox: String,
        /// Outlook profile name.
        #[arg(long)]
        profile: Option<String>,
        /// Where to write the rebound copy.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace FILE (atomically; the original is kept as FILE.bak, or
        /// FILE.bak.N when that exists).
        #[arg(long)]
        in_place: bool,
        /// Replace an existing destination (a regular file only; never
        /// through a link).
        #[arg(long)]
        force: bool,
        /// Print one JSON object: what was written, where the original is
        /// kept, and what Outlook checks instead.
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
    let _ = THREADS.set(cli.threads.map(usize::from));
    signals::install();
    let result = match cli.command {
        Command::Info { file, json } => info::run(&file, json).map_err(Into::into),
        Command::Gen {
            out,
            messages,
            seed,
            ost,
            four_k,
            encoding,
            server,
            mailbox,
            profile,
            force,
        } => parse_crypt(&encoding).and_then(|crypt| {
            let binding =
                convert::binding_of(server.as_deref(), mailbox.as_deref(), profile.as_deref())?;
            gen::run(
                &out,
                &gen::GenArgs {
                    messages,
                    seed,
                    ost: ost || four_k || binding.is_some(),
                    four_k,
                    crypt,
                    binding,
                    replace: replace(force),
                },
            )
        }),
        Command::Convert {
            src,
            dst,
            out,
            salvage,
            recover_deleted,
            rebuild,
        } => out
            .convert(
                src,
                dst,
                How {
                    salvage: salvage || recover_deleted,
                    recover_deleted,
                    rebuild,
                    repair: false,
                },
            )
            .and_then(|a| convert::run(&a)),
        Command::Repair { src, dst, out } => out
            .convert(
                src,
                dst,
                How {
                    salvage: true,
                    recover_deleted: false,
                    rebuild: true,
                    repair: true,
                },
            )
            .and_then(|a| convert::run(&a)),
        Command::Binding { action } => match action {
            BindingAction::Show { file, json } => binding::show(&file, json),
            BindingAction::Verify {
                file,
                mailbox_guid,
                profile,
                server,
                mailbox,
                profile_name,
                json,
            } => binding::verify(
                &file,
                &binding::VerifyArgs {
                    server: server.as_deref(),
                    mailbox: mailbox.as_deref(),
                    profile_name: profile_name.as_deref(),
                    mailbox_guid: mailbox_guid.as_deref(),
                    profile: profile.as_deref(),
                },
                json,
            ),
            BindingAction::Set {
                file,
                server,
                mailbox,
                profile,
                out,
                in_place,
                force,
                json,
            } => binding::set(
                &file,
                &binding::SetArgs {
                    server: &server,
                    mailbox: &mailbox,
                    profile: profile.as_deref(),
                    out: out.as_deref(),
                    in_place,
                    replace: replace(force),
                    json,
                },
            ),
        },
        Command::Import {
            paths,
            out,
            force,
            encoding,
            salvage,
        } => parse_crypt(&encoding)
            .and_then(|crypt| import::run(&paths, &out, crypt, replace(force), salvage)),
        Command::Check { file, deep, json } => check::run(&file, deep, json).map_err(Into::into),
        Command::Ls { file, json } => ls::run(&file, json),
        Command::Show { file, id, json } => show::run(&file, &id, json),
        Command::Export {
            file,
            format,
            out,
            force,
            with_attachment_data,
        } => export::run(&file, format, &out, replace(force), with_attachment_data),
    };
    while signals::interrupted() {
        // The signal thread is removing what was written and will exit.
        std::thread::park();
    }
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("pstkit: {}", message(&e));
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

/// The error and its causes in one line, each said once: a layer whose
/// message already quotes its cause is not followed by it again.
fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}

/// `--force` as the output layer's policy.
fn replace(force: bool) -> pstkit_copy::Replace {
    if force {
        pstkit_copy::Replace::RegularFile
    } else {
        pstkit_copy::Replace::Never
    }
}

/// Says which temporary files of interrupted runs were removed.
fn report_swept(removed: &[PathBuf]) {
    for p in removed {
        eprintln!(
            "pstkit: removed {}, left by an interrupted run",
            p.display()
        );
    }
}

/// A read's result, unless the file changed (shrank) while it was read:
/// then the damage seen was the change's, and the change is the error.
fn unless_changed<T>(ndb: pstkit::ndb::Ndb<'_>, r: anyhow::Result<T>) -> anyhow::Result<T> {
    match ndb.source_changed() {
        Some(changed) => Err(changed.into()),
        None => r,
    }
}

/// Removes stale temporary files beside `dst` and says so.
fn sweep_beside(dst: &std::path::Path) {
    report_swept(&pstkit_output::sweep(&pstkit_output::folder_of(dst)).removed);
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
