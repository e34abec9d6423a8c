//! Colour when a person is watching (stdout is a terminal and NO_COLOR is unset).

use std::io::IsTerminal;
use std::sync::OnceLock;

fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none())
}

fn paint(code: &str, s: &str) -> String {
    if on() {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

pub fn red(s: &str) -> String {
    paint("31", s)
}
pub fn green(s: &str) -> String {
    paint("32", s)
}
pub fn yellow(s: &str) -> String {
    paint("33", s)
}
pub fn cyan(s: &str) -> String {
    paint("36", s)
}
pub fn dim(s: &str) -> String {
    paint("2", s)
}
pub fn bold(s: &str) -> String {
    paint("1", s)
}

/// Prints manifest warnings (checks beyond upstream's that a plugin fails;
/// it still loads), one per line.
pub fn print_warnings<S: std::fmt::Display>(warnings: &[S]) {
    for w in warnings {
        println!("  {} {w}", yellow("warning:"));
    }
}
