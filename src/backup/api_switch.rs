//! A restore's switch through the engine, which cannot rename or delete files: the
//! staged files are moved into place by a shell script in a helper container. The
//! restore's journal records it before anything is staged, so that a restore killed
//! at any point is settled by the next command's recovery before the containers start
//! again, as a switch on this host's file system is (see `local::Switch`): staged files
//! not yet checked are removed; a switch that began is finished, the script being one
//! that finishes from wherever it was cut.

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::engine::volume_access::{
    HELPER_MOUNT, SHELL_IMAGE_HINT, run_shell, shell_image_from_env, shell_status,
};
use crate::error::{Error, Result};

/// The exit status of [`ApiSwitch::preflight`]'s script when the volume holds a
/// directory an unfinished restore left.
const LEFT_BY_ANOTHER: i64 = 3;

/// The exit status of [`ApiSwitch::preflight`]'s script when the image cannot run what
/// the switch runs (`mkdir`, `mv`, `rm`, `chown`, `chmod` on the volume).
const CANNOT_SWITCH: i64 = 4;

/// The exit status of [`ApiSwitch::preflight`]'s script when the volume holds a
/// quarantine of the name of an entry of the backup.
const QUARANTINE_CLASH: i64 = 5;

/// A restore through the engine into a volume that holds data, as its journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiSwitch {
    /// The volume.
    pub volume: String,
    /// The image whose `/bin/sh` runs the scripts.
    pub shell_image: String,
    /// The staging directory at the volume's root.
    pub staging: String,
    /// Where the old content goes while the staged files move up; removed last.
    pub aside: String,
    /// The owner, group and mode the volume's root gets.
    pub root: (u64, u64, u32),
    /// The staged files were checked and the switch began: recovery finishes it.
    /// Before that, it removes the staging directory and leaves the volume as it was.
    pub switching: bool,
}

impl ApiSwitch {
    /// Checks, before anything is staged, that the image runs the scripts, that the
    /// volume holds no directory of an unfinished restore (a switch over it would mix
    /// its content in), and no quarantine named as one of `quarantines`, the backup's
    /// own at its root (the switch leaves the volume's quarantines in place, where the
    /// backup's cannot go), so that none of them stops the switch once it began.
    pub async fn preflight(&self, engine: &Engine, quarantines: &[&str]) -> Result<()> {
        let (uid, gid, mode) = self.root;
        // Names a script can hold as they are; others were never a restore's.
        let clashing: Vec<&str> = quarantines
            .iter()
            .copied()
            .filter(|name| checked_name(name).is_ok())
            .collect();
        let clash_check = match clashing.is_empty() {
            true => String::new(),
            false => format!(
                "for q in {}; do if [ -e \"$q\" ] || [ -L \"$q\" ]; then \
                 exit {QUARANTINE_CLASH}; fi; done; ",
                clashing.join(" ")
            ),
        };
        let script = format!(
            "cd {HELPER_MOUNT} || exit {CANNOT_SWITCH}; {clash_check}for f in .safeops-*; do \
             case \"$f\" in *-quarantine|.safeops-probe-*) ;; \
             *) if [ -e \"$f\" ] || [ -L \"$f\" ]; then exit {LEFT_BY_ANOTHER}; fi ;; esac; done; \
             p=.safeops-probe-$$; rm -rf .safeops-probe-* && mkdir \"$p\" && : > \"$p/f\" && \
             chown {uid}:{gid} \"$p\" && chmod {mode:o} \"$p\" && mv \"$p\" \"$p-m\" && \
             rm -rf \"$p-m\" || exit {CANNOT_SWITCH}"
        );
        let image = self.image();
        let purpose = "check that the restored files can be switched into place";
        match shell_status(engine, (&image, &self.volume), &script, purpose).await? {
            0 => Ok(()),
            LEFT_BY_ANOTHER => Err(Error::failure(format!(
                "volume {} holds a .safeops-* directory left by an unfinished restore: \
                 switching over it would mix its content in; nothing was changed",
                self.volume
            ))
            .hint("run any docker safeops command to recover it first, or remove it")),
            QUARANTINE_CLASH => Err(Error::failure(format!(
                "volume {} holds a quarantine an earlier restore's recovery kept, and the \
                 backup holds an entry of the same name at its root ({}); nothing was \
                 changed",
                self.volume,
                clashing.join(", ")
            ))
            .hint("move the volume's quarantine away (it is the operator's to look at), then restore again")),
            code => Err(Error::failure(format!(
                "cannot {purpose} in volume {} with image {image}: {}",
                self.volume,
                match code {
                    CANNOT_SWITCH => "it cannot run mkdir, mv, rm, chown and chmod there".into(),
                    code => format!("the check exited with {code}"),
                }
            ))
            .hint(SHELL_IMAGE_HINT)),
        }
    }

    /// Moves the staged files into place and removes the old content.
    pub async fn switch(&self, engine: &Engine) -> Result<()> {
        self.run(
            engine,
            &self.switch_script()?,
            "move the restored files into place",
        )
        .await
    }

    /// Removes the staging directory: the volume stays as it was.
    pub async fn discard(&self, engine: &Engine) -> Result<()> {
        let staging = checked_name(&self.staging)?;
        let script = format!("rm -rf {HELPER_MOUNT}/{staging}");
        self.run(engine, &script, "remove the restore's staged files")
            .await
    }

    /// Settles it for a restore that died: what was done, for the user.
    pub async fn recover(&self, engine: &Engine) -> Result<&'static str> {
        // A helper would create a volume that is gone: nothing is left to settle.
        if let Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) = engine.docker.inspect_volume(&self.volume).await
        {
            return Ok("the volume is gone: nothing to settle");
        }
        if self.switching {
            self.switch(engine).await?;
            Ok("finished switching the restored files into place")
        } else {
            self.discard(engine).await?;
            Ok("removed the files it had staged; the volume is as it was")
        }
    }

    async fn run(&self, engine: &Engine, script: &str, purpose: &str) -> Result<()> {
        run_shell(engine, (&self.image(), &self.volume), script, purpose).await
    }

    /// `SAFEOPS_HELPER_IMAGE` when it is set (a recovery can be told another image than
    /// the one the restore found), else the image recorded.
    fn image(&self) -> String {
        shell_image_from_env().unwrap_or_else(|| self.shell_image.clone())
    }

    /// The switch, in three steps: every entry of the root but the staging directory
    /// (and the quarantine of an earlier restore, kept for the operator as a switch on
    /// the host keeps it) moved into `<aside>.partial`, renamed `<aside>` once all are
    /// there; the staged entries moved up and the staging directory removed; the
    /// root's owner and mode set and the aside removed. Run again from any point, it finishes: which step was
    /// under way is told by which directories exist, and once neither the staging
    /// directory nor the aside is left it does nothing (the restored files are never
    /// moved aside).
    fn switch_script(&self) -> Result<String> {
        let (staging, aside) = (checked_name(&self.staging)?, checked_name(&self.aside)?);
        let (uid, gid, mode) = self.root;
        Ok(format!(
            "set -e; cd {HELPER_MOUNT}; s={staging}; a={aside}; p={aside}.partial; \
             if [ ! -d \"$a\" ] && [ -d \"$s\" ]; then mkdir -p \"$p\"; \
             for f in * .[!.]* ..?*; do case \"$f\" in .safeops-*-quarantine) continue ;; esac; \
             if [ -e \"$f\" ] || [ -L \"$f\" ]; then \
             [ \"$f\" = \"$s\" ] || [ \"$f\" = \"$p\" ] || mv -- \"$f\" \"$p\"/; fi; done; \
             mv \"$p\" \"$a\"; fi; \
             if [ -d \"$s\" ]; then \
             for f in \"$s\"/* \"$s\"/.[!.]* \"$s\"/..?*; do if [ -e \"$f\" ] || [ -L \"$f\" ]; then mv -- \"$f\" ./; fi; done; \
             rmdir \"$s\"; fi; \
             if [ -d \"$a\" ]; then chown {uid}:{gid} . ; chmod {mode:o} . ; rm -rf \"$a\"; fi"
        ))
    }
}

/// `name`, a directory name of ours, checked before it goes into a script: a journal
/// is ours, but a script is no place to trust one.
fn checked_name(name: &str) -> Result<&str> {
    let ours = name.starts_with(".safeops-")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ours {
        Ok(name)
    } else {
        Err(Error::failure(format!(
            "{name:?} is not the name of a restore's directory"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn switch(staging: &str) -> ApiSwitch {
        ApiSwitch {
            volume: "v".into(),
            shell_image: "busybox".into(),
            staging: staging.into(),
            aside: ".safeops-previous-1".into(),
            root: (0, 0, 0o755),
            switching: true,
        }
    }

    /// Runs the switch script in a scratch directory standing for the volume, cut after
    /// `cut` of its `mv`/`rmdir`/`rm` commands, then again whole: what the root holds.
    fn run_cut(cut: usize) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("vol");
        std::fs::create_dir_all(root.join(".safeops-restore-1/newdir")).unwrap();
        std::fs::write(root.join(".safeops-restore-1/new"), "n").unwrap();
        std::fs::write(root.join(".safeops-restore-1/.hidden"), "h").unwrap();
        std::fs::create_dir(root.join("olddir")).unwrap();
        std::fs::write(root.join("old"), "o").unwrap();
        std::fs::create_dir(root.join(".safeops-restore-0-quarantine")).unwrap();
        let script = switch(".safeops-restore-1")
            .switch_script()
            .unwrap()
            .replace(HELPER_MOUNT, &root.display().to_string())
            .replace("chown 0:0 . ;", "");
        // A counter in the shell stands for a kill after `cut` commands that change
        // the volume.
        let counted = format!(
            "n=0; step() {{ n=$((n+1)); [ $n -le {cut} ] || exit 9; \"$@\"; }}; {}",
            script
                .replace("mv -- ", "step mv -- ")
                .replace("mv \"$p\"", "step mv \"$p\"")
                .replace("rmdir ", "step rmdir ")
                .replace("rm -rf ", "step rm -rf ")
        );
        let _ = std::process::Command::new("sh")
            .args(["-c", &counted])
            .status()
            .unwrap();
        let again = std::process::Command::new("sh")
            .args(["-c", &script])
            .status()
            .unwrap();
        assert!(again.success(), "cut after {cut}");
        // Once more, as a recovery that died before it could say so: nothing moves.
        let done = std::process::Command::new("sh")
            .args(["-c", &script])
            .status()
            .unwrap();
        assert!(done.success(), "cut after {cut}, run a third time");
        let mut names: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_switch_script_finishes_from_wherever_it_was_cut_and_never_moves_the_result_aside() {
        for cut in 0..12 {
            assert_eq!(
                run_cut(cut),
                [".hidden", ".safeops-restore-0-quarantine", "new", "newdir"],
                "cut after {cut}"
            );
        }
    }

    #[test]
    fn names_that_are_not_ours_never_reach_a_script() {
        assert!(switch(".safeops-restore-1").switch_script().is_ok());
        for bad in ["x; rm -rf /", ".safeops-a b", "data", ".safeops-$(id)"] {
            assert!(switch(bad).switch_script().is_err(), "{bad}");
        }
    }
}
