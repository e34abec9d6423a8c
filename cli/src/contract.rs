//! `owncast-plugin contract`: documents generated from the WIT contract.

use owncast_plugin_host::contract::Contract;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The WIT directory.
    #[arg(long, default_value = "wit")]
    wit: PathBuf,
    /// Write the wire-protocol document (Markdown) here.
    #[arg(long)]
    md: Option<PathBuf>,
    /// Write TypeScript declarations of the JSON shapes here.
    #[arg(long)]
    ts: Option<PathBuf>,
    /// Don't write: fail if the files differ from a fresh rendering.
    #[arg(long)]
    check: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let contract = Contract::load(&args.wit)?;
    let mut stale = Vec::new();
    let outputs = [(args.md, contract.markdown()), (args.ts, contract.typescript())];
    if outputs.iter().all(|(p, _)| p.is_none()) {
        anyhow::bail!("nothing to do: pass --md FILE and/or --ts FILE");
    }
    for (path, text) in outputs {
        let Some(path) = path else { continue };
        if args.check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, text)?;
            println!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("stale (regenerate with owncast-plugin contract): {}", stale.join(", "));
        Ok(ExitCode::FAILURE)
    }
}
