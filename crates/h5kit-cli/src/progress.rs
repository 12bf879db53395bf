//! Progress display for long operations (`h5 repack`; later `h5 refs`): an indicatif bar or
//! spinner on stderr when stderr is a terminal, nothing when it is piped or redirected (so
//! scripts and tests see clean stderr).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress should be drawn: stderr is a terminal and the user did not opt out.
pub fn enabled(opt_out: bool) -> bool {
    !opt_out && std::io::stderr().is_terminal()
}

/// A spinner with elapsed time, for a step whose progress cannot be seen from outside.
pub fn spinner(show: bool, msg: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed_precise}") {
        pb.set_style(style);
    }
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_when_not_shown() {
        assert!(spinner(false, "x").is_hidden());
    }
}
