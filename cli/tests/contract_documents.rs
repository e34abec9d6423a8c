//! The generated contract documents (`docs/WIRE_PROTOCOL.md`, the JS SDK's
//! `types/contract.d.ts`, the Python SDK's `_contract.py`) are what
//! `owncast-plugin contract` renders from today's sources: WIT, the
//! declarations, the legacy shim's host functions, the host's limits and the
//! scenario format. Regenerate with
//! `owncast-plugin contract --md docs/WIRE_PROTOCOL.md --ts sdks/js/types/contract.d.ts --py sdks/python/owncast_plugin/_contract.py`.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_documents_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = Command::new(env!("CARGO_BIN_EXE_owncast-plugin"))
        .current_dir(&root)
        .args(["contract", "--md", "docs/WIRE_PROTOCOL.md", "--ts", "sdks/js/types/contract.d.ts"])
        .args(["--py", "sdks/python/owncast_plugin/_contract.py", "--check"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_wire_protocol_has_every_section() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let md = std::fs::read_to_string(root.join("docs/WIRE_PROTOCOL.md")).unwrap();
    for section in [
        "## Plugin exports",
        "## Host interfaces and permissions",
        "## Events",
        "## HTTP envelope",
        "## Manifest",
        "## Limits and deadlines",
        "## Scenario format",
        "## Types",
    ] {
        assert!(md.contains(&format!("\n{section}\n")), "docs/WIRE_PROTOCOL.md lacks {section}");
    }
    // A legacy function with its signature and derived shapes, beside its JS SDK name.
    assert!(
        md.contains(
            "| `chat.send` | `owncast.chat.sendTo` | `owncast_send_chat_to(i64, i64)` | `client-id`: i64; `body`: text | none |"
        ),
        "send-to row"
    );
    assert!(md.contains("| `filter_deadline` | 50ms |"), "limits");
}
