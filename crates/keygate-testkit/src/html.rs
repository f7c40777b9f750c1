//! Reading Keygate's pages the way a browser submits them: hidden form fields, HTML-unescaped.

/// The value of the field `name` of a page (`name="..." value="..."`), HTML-unescaped.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("the page has no field {name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

/// Every `<input type="hidden" name=".." value="..">` of a page, HTML-unescaped.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|part| {
            let attr = |name: &str| {
                let start = part.find(&format!("{name}=\""))? + name.len() + 2;
                let end = part[start..].find('"')? + start;
                Some(unescape(&part[start..end]))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

/// `s` with HTML character references (named, decimal and hex) decoded.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_unescaped_whatever_the_character_reference() {
        let html = r#"<input type="hidden" name="scope" value="a&#43;b&#x2b;c &amp; d">
            <input type="hidden" name="csrf" value="x&lt;y&unknown;">"#;
        assert_eq!(field(html, "scope"), "a+b+c & d");
        assert_eq!(
            hidden_fields(html),
            [
                ("scope".to_owned(), "a+b+c & d".to_owned()),
                ("csrf".to_owned(), "x<y&unknown;".to_owned())
            ]
        );
    }
}
