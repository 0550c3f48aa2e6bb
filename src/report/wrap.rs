//! Word wrapping for the terminal: lines break at spaces (and after a `-` inside long names),
//! never inside a number or a word that fits, so an amount is never split across lines.

/// The terminal width to lay out for: `COLUMNS`, else the terminal's, else 100 (pipes, files).
pub fn terminal_width() -> usize {
    if let Some(w) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()) {
        return w.clamp(40, 400);
    }
    comfy_table::Table::new().width().map(usize::from).filter(|w| *w >= 40).unwrap_or(100)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Splits a word longer than `width` after its hyphens (model ids), else leaves it whole.
fn pieces(word: &str, width: usize) -> Vec<String> {
    if chars(word) <= width || !word.contains('-') {
        return vec![word.to_owned()];
    }
    let mut out: Vec<String> = vec![String::new()];
    for part in word.split_inclusive('-') {
        let last = out.last_mut().expect("one piece");
        if !last.is_empty() && chars(last) + chars(part) > width {
            out.push(part.to_owned());
        } else {
            last.push_str(part);
        }
    }
    out
}

/// `text` wrapped to `width` columns.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()).flat_map(|w| pieces(w, width)) {
            let needed = if line.is_empty() { chars(&word) } else { chars(&line) + 1 + chars(&word) };
            if needed > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() && !line.ends_with('-') {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// `text` wrapped to `width`, the first line after `first`, the others indented by `indent`.
pub fn hanging(first: &str, indent: usize, text: &str, width: usize) -> String {
    let body = wrap(text, width.saturating_sub(indent).max(20));
    let mut out = String::new();
    for (i, l) in body.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("{first:<indent$}{l}\n"));
        } else {
            out.push_str(&format!("{:indent$}{l}\n", ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_breaks_numbers_or_fitting_words() {
        let w = wrap("claim $1,234.56 from Anthropic support citing these lines", 12);
        assert!(w.iter().all(|l| chars(l) <= 12), "{w:?}");
        assert!(w.contains(&"claim".to_owned()) && w.iter().any(|l| l.contains("$1,234.56")), "{w:?}");
        assert_eq!(wrap("claude-sonnet-4-5-20250929 input", 14), vec!["claude-sonnet-", "4-5-20250929", "input"]);
    }
}
