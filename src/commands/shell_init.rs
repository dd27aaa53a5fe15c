//! `shell-init bash|zsh|fish`: shell functions that route the volume-destroying and
//! restarting commands through safeops (`docker compose down|restart`, `docker-compose`
//! likewise, `docker volume rm`) and pass everything else to the real command
//! untouched. Use: `eval "$(docker safeops shell-init bash)"` in `~/.bashrc`.

use crate::cli::{CompletionShell, ShellInitArgs};
use crate::error::Result;

/// The POSIX-shell version (bash and zsh): compose's global options may precede the
/// verb, so the verb is the first word that is not an option or an option's value.
const POSIX: &str = r#"# docker-safeops shell integration: guarded `down -v`, checked `restart`, guarded `volume rm`.
__safeops_compose_verb() {
  while [ $# -gt 0 ]; do
    case "$1" in
      -f|--file|-p|--project-name|--project-directory|--env-file|--profile|--ansi|--parallel|--progress) shift 2 ;;
      -*) shift ;;
      *) printf '%s' "$1"; return ;;
    esac
  done
}
docker() {
  if [ "$1" = compose ]; then
    case "$(__safeops_compose_verb "${@:2}")" in
      down|restart) shift; command docker safeops "$@"; return ;;
    esac
  elif [ "$1" = volume ] && [ "$2" = rm ]; then
    command docker safeops "$@"; return
  fi
  command docker "$@"
}
docker-compose() {
  case "$(__safeops_compose_verb "$@")" in
    down|restart) command docker safeops "$@"; return ;;
  esac
  command docker-compose "$@"
}
"#;

const FISH: &str = r#"# docker-safeops shell integration: guarded `down -v`, checked `restart`, guarded `volume rm`.
function __safeops_compose_verb
    set -l skip 0
    for arg in $argv
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $arg
            case -f --file -p --project-name --project-directory --env-file --profile --ansi --parallel --progress
                set skip 1
            case '-*'
            case '*'
                echo $arg
                return
        end
    end
end
function docker --wraps docker
    if test "$argv[1]" = compose
        switch (__safeops_compose_verb $argv[2..-1])
            case down restart
                command docker safeops $argv[2..-1]
                return $status
        end
    else if test "$argv[1]" = volume; and test "$argv[2]" = rm
        command docker safeops $argv
        return $status
    end
    command docker $argv
end
function docker-compose --wraps docker-compose
    switch (__safeops_compose_verb $argv)
        case down restart
            command docker safeops $argv
            return $status
    end
    command docker-compose $argv
end
"#;

/// Runs `shell-init`.
pub fn run(args: &ShellInitArgs) -> Result<()> {
    super::print(match args.shell {
        CompletionShell::Bash | CompletionShell::Zsh => POSIX,
        CompletionShell::Fish => FISH,
    })
}
