//! Reading a core module's custom sections without a full parse.

fn leb_u32(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut result: u32 = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        result |= ((b & 0x7f) as u32).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(result);
        }
    }
    None
}

/// Whether a core module has a custom section called `name`.
pub fn has_custom_section(module: &[u8], name: &str) -> bool {
    if module.len() < 8 {
        return false;
    }
    let mut pos = 8;
    while pos < module.len() {
        let id = module[pos];
        pos += 1;
        let Some(size) = leb_u32(module, &mut pos) else { return false };
        let end = match pos.checked_add(size as usize) {
            Some(e) if e <= module.len() => e,
            _ => return false,
        };
        if id == 0 {
            let mut p = pos;
            if let Some(n) = leb_u32(module, &mut p) {
                if module.get(p..p + n as usize) == Some(name.as_bytes()) {
                    return true;
                }
            }
        }
        pos = end;
    }
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_custom_sections() {
        let m = wat::parse_str(r#"(module (@custom "owncast-engine" "quickjs/1") (func (export "f")))"#).unwrap();
        assert!(super::has_custom_section(&m, "owncast-engine"));
        assert!(!super::has_custom_section(&m, "owncast"));
        let plain = wat::parse_str("(module)").unwrap();
        assert!(!super::has_custom_section(&plain, "owncast-engine"));
    }
}
