//! `owncast-plugin package <dir>`: bundles a built plugin into `<slug>.ocpkg`,
//! the single file admins upload or drop into the plugins folder.

use owncast_plugin_manager::package::{read_package, write_package, PackageLimits};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The plugin directory (plugin.manifest.json, the built code, optional
    /// public/ (served), assets/ (not served), icon.png, INSTRUCTIONS.md).
    dir: PathBuf,
    /// Where to write the package. Default: `<slug>.ocpkg` in the plugin directory.
    #[arg(short, long)]
    out: Option<PathBuf>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (slug, bytes) = write_package(&a.dir)?;
    // Read it back with the reader the host uses, so a package that the host
    // would refuse (too large, too many files) is caught here.
    let pkg = read_package(&bytes, &format!("{slug}.ocpkg"), &PackageLimits::default())?;
    let out = a.out.unwrap_or_else(|| a.dir.join(format!("{slug}.ocpkg")));
    std::fs::write(&out, &bytes).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    println!(
        "{} {} {} ({} files, {} KiB)",
        crate::style::green("packaged"),
        pkg.manifest.slug,
        pkg.manifest.version,
        pkg.files.len() + 2,
        bytes.len().div_ceil(1024)
    );
    println!("  {}", out.display());
    crate::style::print_warnings(&pkg.manifest.warnings);
    Ok(ExitCode::SUCCESS)
}
