//! The user code of the device authorization grant (RFC 8628 §6.1): eight letters a person can
//! read off a television and type on a phone, without vowels (no words) and without letters
//! that look like digits or each other, shown as `XXXX-XXXX` and read back in any case, with or
//! without the dash and spaces.

use rand::Rng;

use crate::secrets::TokenHash;

/// The letters a user code is drawn from: consonants but `Y`, 20 of them, so eight carry
/// about 34.6 bits, which the verification page's throttle makes impractical to guess.
const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code.
const LENGTH: usize = 8;

/// A user code in its normal form: eight letters of [`ALPHABET`], upper case, no dash.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl std::fmt::Debug for UserCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A pending user code lets whoever holds it approve a device: keep it out of logs.
        f.write_str("UserCode(..)")
    }
}

impl UserCode {
    /// A fresh random user code.
    pub fn random() -> Self {
        let mut rng = rand::rngs::OsRng;
        let code = (0..LENGTH)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        Self(code)
    }

    /// Reads a user code as a person typed it: any case, dashes and spaces ignored. `None` when
    /// what remains is not eight letters of the alphabet.
    pub fn parse(typed: &str) -> Option<Self> {
        let code: String = typed
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
        valid.then_some(Self(code))
    }

    /// The form shown to people: `XXXX-XXXX`.
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(LENGTH / 2);
        format!("{a}-{b}")
    }

    /// The SHA-256 of the normal form, under which it is stored.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_code_is_eight_letters_of_the_alphabet_shown_with_a_dash() {
        let code = UserCode::random();
        let shown = code.display();
        assert_eq!(shown.len(), 9);
        assert_eq!(&shown[4..5], "-");
        assert_eq!(UserCode::parse(&shown), Some(code.clone()));
        assert_ne!(UserCode::random(), code, "two draws of 34 bits differ");
    }

    #[test]
    fn typing_is_forgiving_about_case_dashes_and_spaces() {
        let code = UserCode::parse("BCDF-GHJK").expect("a code");
        assert_eq!(UserCode::parse("bcdfghjk"), Some(code.clone()));
        assert_eq!(UserCode::parse(" bcdf ghjk "), Some(code.clone()));
        assert_eq!(UserCode::parse("Bcd-fGh-jK"), Some(code.clone()));
        assert_eq!(
            code.hash(),
            UserCode::parse("bcdfghjk").expect("a code").hash()
        );
    }

    #[test]
    fn vowels_digits_and_wrong_lengths_are_not_codes() {
        assert_eq!(UserCode::parse("ABCD-FGHJ"), None);
        assert_eq!(UserCode::parse("BCDF-GHJ1"), None);
        assert_eq!(UserCode::parse("BCDF-GHJ"), None);
        assert_eq!(UserCode::parse("BCDF-GHJKL"), None);
        assert_eq!(UserCode::parse(""), None);
        assert_eq!(UserCode::parse("BCDF-GHJÉ"), None);
    }

    #[test]
    fn the_debug_form_hides_the_code() {
        let code = UserCode::parse("BCDFGHJK").expect("a code");
        assert!(!format!("{code:?}").contains("BCDF"));
    }
}
