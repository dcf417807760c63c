//! Numbers written the way a language writes them: `1,234,567.5` and `12.5%` in English,
//! `1.234.567,5` and `12,5 %` in German. Pure; [`crate::format`] builds the dashboard's figures
//! on these, and [`crate::i18n`] writes the numbers given to messages with them.

use crate::lang::Lang;

/// How a language writes numbers.
struct Style {
    group: char,
    decimal: char,
    /// What goes between a number and `%`.
    percent_gap: &'static str,
}

fn style(lang: Lang) -> Style {
    match lang {
        Lang::En => Style {
            group: ',',
            decimal: '.',
            percent_gap: "",
        },
        Lang::De => Style {
            group: '.',
            decimal: ',',
            percent_gap: " ",
        },
    }
}

/// `1234567` → `1,234,567` (English) or `1.234.567` (German).
pub fn int_in(lang: Lang, n: i64) -> String {
    let sep = style(lang).group;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// A finite number with at most one decimal: `12`, `12.5`/`12,5`, `1,234.5`/`1.234,5`.
pub fn one_decimal_finite(lang: Lang, x: f64) -> String {
    let tenths = (x * 10.0).round() as i64;
    if tenths % 10 == 0 {
        int_in(lang, tenths / 10)
    } else {
        let sign = if tenths < 0 { "-" } else { "" };
        let a = tenths.abs();
        format!(
            "{sign}{}{}{}",
            int_in(lang, a / 10),
            style(lang).decimal,
            a % 10
        )
    }
}

/// A number with all its digits and the language's decimal mark (`0.25`, `0,25`), without
/// grouping.
pub fn decimal_in(lang: Lang, x: f64) -> String {
    x.to_string().replace('.', &style(lang).decimal.to_string())
}

/// A percentage from its written number: `12.5%` or `12,5 %`.
pub fn with_percent(lang: Lang, number: &str) -> String {
    format!("{number}{}%", style(lang).percent_gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_groups_and_marks_decimals_its_way() {
        assert_eq!(int_in(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(int_in(Lang::De, 1_234_567), "1.234.567");
        assert_eq!(int_in(Lang::De, -1234), "-1.234");
        assert_eq!(one_decimal_finite(Lang::En, 1234.56), "1,234.6");
        assert_eq!(one_decimal_finite(Lang::De, 1234.56), "1.234,6");
        assert_eq!(one_decimal_finite(Lang::De, 12.0), "12");
        assert_eq!(with_percent(Lang::En, "12.5"), "12.5%");
        assert_eq!(with_percent(Lang::De, "12,5"), "12,5 %");
    }
}
