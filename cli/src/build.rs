//! `owncast-plugin build [DIR]`: builds a plugin project in place, next to
//! its manifest. The kind of project is detected: a Python project
//! (`src/plugin.py`) is built by the Python SDK (`python3 -m owncast_plugin
//! build`, see sdks/python), a JavaScript/TypeScript project by its
//! package.json `build` script (the JS SDK's `owncast-plugin build`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The plugin project (plugin.manifest.json and src/plugin.py or package.json).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The Python interpreter that has the Python SDK (`owncast_plugin`) and componentize-py.
    #[arg(long, env = "OWNCAST_PYTHON", default_value = "python3")]
    python: String,
}

/// How a project is built: the program and its arguments, run in the project.
#[derive(Debug, PartialEq, Eq)]
pub struct BuildCommand {
    pub program: String,
    pub args: Vec<String>,
}

impl BuildCommand {
    /// The command as one `sh -c` line (for the dev server's watcher).
    pub fn shell_line(&self) -> String {
        std::iter::once(&self.program).chain(&self.args).map(|w| shell_quote(w)).collect::<Vec<_>>().join(" ")
    }
}

fn shell_quote(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:".contains(&b)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The build command of the project in `dir`, or why there is none.
pub fn detect(dir: &Path, python: &str) -> anyhow::Result<BuildCommand> {
    if !dir.join("plugin.manifest.json").is_file() {
        anyhow::bail!("{}: no plugin.manifest.json (not a plugin project)", dir.display());
    }
    if dir.join("src").join("plugin.py").is_file() {
        return Ok(BuildCommand {
            program: python.to_string(),
            args: ["-m", "owncast_plugin", "build", "."].map(String::from).to_vec(),
        });
    }
    let pkg = dir.join("package.json");
    if pkg.is_file() {
        let text = std::fs::read(&pkg).map_err(|e| anyhow::anyhow!("{}: {e}", pkg.display()))?;
        let json: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", pkg.display()))?;
        if json["scripts"]["build"].is_string() {
            return Ok(BuildCommand {
                program: "npm".into(),
                args: ["run", "--silent", "build"].map(String::from).to_vec(),
            });
        }
        anyhow::bail!("{}: no `build` script", pkg.display());
    }
    anyhow::bail!(
        "{}: nothing to build (looked for src/plugin.py, a Python plugin, and package.json, a JavaScript one; \
         Rust plugins build with cargo)",
        dir.display()
    )
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let cmd = detect(&a.dir, &a.python)?;
    let status = tokio::process::Command::new(&cmd.program)
        .args(&cmd.args)
        .current_dir(&a.dir)
        .status()
        .await
        .map_err(|e| anyhow::anyhow!("could not run `{}`: {e}", cmd.shell_line()))?;
    Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn detects_python_then_js_and_names_what_it_looked_for() {
        let py = project(&[("plugin.manifest.json", "{}"), ("src/plugin.py", ""), ("package.json", "{}")]);
        let cmd = detect(py.path(), "python3").unwrap();
        assert_eq!(cmd.shell_line(), "python3 -m owncast_plugin build .");
        let js = project(&[("plugin.manifest.json", "{}"), ("package.json", r#"{"scripts":{"build":"x"}}"#)]);
        assert_eq!(detect(js.path(), "python3").unwrap().program, "npm");
        let none = project(&[("plugin.manifest.json", "{}")]);
        let e = detect(none.path(), "python3").unwrap_err().to_string();
        assert!(e.contains("src/plugin.py") && e.contains("package.json"), "{e}");
        let bare = project(&[]);
        assert!(detect(bare.path(), "python3").unwrap_err().to_string().contains("plugin.manifest.json"));
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
