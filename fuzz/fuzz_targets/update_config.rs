//! Updater configurations: any text is a configuration or a typed error
//! naming a line, and a configuration accepted only names plain files in
//! the data folder and http(s) URLs.
#![no_main]

use bphscore::update::UpdateConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let config = match UpdateConfig::from_toml("fuzz.toml", &text) {
        Ok(c) => c,
        Err(e) => {
            let lines = text.lines().count() as u64 + 1;
            assert!(e.line().is_none_or(|l| l <= lines), "{e}");
            return;
        }
    };
    let mut names = std::collections::HashSet::new();
    for s in config.sources() {
        assert!(!s.name.is_empty() && !s.name.starts_with('.'));
        assert!(!s.name.contains(['/', '\\', '\0']));
        assert!(names.insert(s.name.clone()), "unique names");
        assert!(s.url.starts_with("http://") || s.url.starts_with("https://"));
    }
});
