//! `shell-init bash|zsh|fish`: shell functions that route the volume-destroying and
//! lifecycle commands through safeops (`docker compose down|restart|stop|start`,
//! `docker-compose` likewise, `docker volume rm|remove|prune`, `docker rm -v`,
//! `docker container rm -v`, in every spelling Docker takes (`-vf`, `--volumes=true`),
//! also after Docker's global options, `-H=X` and `-HX` included), refuse
//! `docker system prune --volumes` and `docker compose rm -v` (which delete volumes
//! unguarded), and pass everything else to the real command untouched.
//! Use: `eval "$(docker safeops shell-init bash)"` in `~/.bashrc`.

use crate::cli::args::{CompletionShell, ShellInitArgs};
use crate::error::Result;

/// The POSIX-shell version (bash and zsh): compose's global options may precede the
/// verb, so the verb is the first word that is one of compose's commands (a word that
/// is not is the value of an option, known here or not).
const POSIX: &str = r#"# docker-safeops shell integration: guarded `down -v`, `volume rm|prune`, `rm -v`; checked `restart`.
__safeops_compose_verb() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --) return ;;
      -f|--file|-p|--project-name|--project-directory|--workdir|--env-file|--profile|--ansi|--parallel|--progress|--insecure-registry|-H|--host|-c|--context|--log-level|--tlscacert|--tlscert|--tlskey)
        [ $# -ge 2 ] || return
        shift 2 ;;
      -*) shift ;;
      alpha|attach|bridge|build|commit|config|cp|create|down|events|exec|export|help|images|kill|logs|ls|pause|port|ps|publish|pull|push|restart|rm|run|scale|start|stats|stop|top|unpause|up|version|volumes|wait|watch)
        printf '%s' "$1"; return ;;
      *) shift ;;
    esac
  done
}
__safeops_has_volume_flag() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      --) return 1 ;;
      -v*|--volumes|--volumes=*|-[!-]*v*) return 0 ;;
    esac
  done
  return 1
}
__safeops_unguarded() {
  echo "docker-safeops: '$1' deletes volumes without any guard;" >&2
  echo "  $2" >&2
  return 3
}
docker() {
  # Docker's own global options (`--context X`, `-H X`, `-H=X`, `-HX`, `-Dc X`, ...)
  # come first; they are handed to safeops, which resolves the engine the same way.
  # A cluster of short options whose first that takes a value ends it (`-Dc`) takes
  # the next word; one without a value is left to docker to refuse.
  local -a __safeops_globals=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --config|--context|--host|--log-level|--tlscacert|--tlscert|--tlskey)
        [ $# -ge 2 ] || break
        __safeops_globals+=("$1" "$2"); shift 2 ;;
      --debug|--tls|--tlsverify|--*=*)
        __safeops_globals+=("$1"); shift ;;
      -[!-]*)
        if [[ "$1" =~ ^-[^-cHl]*[cHl]$ ]]; then
          [ $# -ge 2 ] || break
          __safeops_globals+=("$1" "$2"); shift 2
        else
          __safeops_globals+=("$1"); shift
        fi ;;
      *) break ;;
    esac
  done
  case "$1" in
    compose)
      case "$(__safeops_compose_verb "${@:2}")" in
        down|restart|stop|start) command docker "${__safeops_globals[@]}" safeops "${@:2}"; return ;;
        rm) if __safeops_has_volume_flag "${@:2}"; then
              __safeops_unguarded "docker compose rm -v" "run 'docker compose rm' and then 'docker safeops volume prune'"; return
            fi ;;
      esac ;;
    volume)
      case "$2" in rm|remove|prune) command docker "${__safeops_globals[@]}" safeops "$@"; return ;; esac ;;
    container)
      case "$2" in rm|remove)
        if __safeops_has_volume_flag "${@:3}"; then command docker "${__safeops_globals[@]}" safeops rm "${@:3}"; return; fi ;;
      esac ;;
    rm)
      if __safeops_has_volume_flag "${@:2}"; then command docker "${__safeops_globals[@]}" safeops "$@"; return; fi ;;
    system)
      if [ "$2" = prune ] && __safeops_has_volume_flag "${@:3}"; then
        __safeops_unguarded "docker system prune --volumes" "run 'docker system prune' and then 'docker safeops volume prune'"; return
      fi ;;
  esac
  command docker "${__safeops_globals[@]}" "$@"
}
docker-compose() {
  case "$(__safeops_compose_verb "$@")" in
    down|restart|stop|start) command docker safeops "$@"; return ;;
    rm) if __safeops_has_volume_flag "$@"; then
          __safeops_unguarded "docker-compose rm -v" "run 'docker-compose rm' and then 'docker safeops volume prune'"; return
        fi ;;
  esac
  command docker-compose "$@"
}
"#;

const FISH: &str = r#"# docker-safeops shell integration: guarded `down -v`, `volume rm|prune`, `rm -v`; checked `restart`.
function __safeops_compose_verb
    set -l skip 0
    for arg in $argv
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $arg
            case --
                return
            case -f --file -p --project-name --project-directory --workdir --env-file --profile --ansi --parallel --progress --insecure-registry -H --host -c --context --log-level --tlscacert --tlscert --tlskey
                set skip 1
            case '-*'
            case alpha attach bridge build commit config cp create down events exec export help images kill logs ls pause port ps publish pull push restart rm run scale start stats stop top unpause up version volumes wait watch
                echo $arg
                return
        end
    end
end
function __safeops_has_volume_flag
    for arg in $argv
        switch $arg
            case --
                return 1
            case -v '-v=*' --volumes '--volumes=*'
                return 0
            case '--*'
            case '-*v*'
                return 0
        end
    end
    return 1
end
function __safeops_unguarded
    echo "docker-safeops: '$argv[1]' deletes volumes without any guard;" >&2
    echo "  $argv[2]" >&2
end
function docker --wraps docker
    # Docker's own global options come first; they are handed to safeops.
    set -l globals
    set -l rest $argv
    while test (count $rest) -gt 0
        switch $rest[1]
            case --config --context --host --log-level --tlscacert --tlscert --tlskey
                test (count $rest) -ge 2; or break
                set globals $globals $rest[1..2]
                set rest $rest[3..-1]
            case --debug --tls --tlsverify '--*=*'
                set globals $globals $rest[1]
                set rest $rest[2..-1]
            case '--*'
                break
            case '-*'
                # A cluster whose first option that takes a value ends it takes the next word.
                # (Not `-?*`: fish 4 reads `?` literally.)
                if string match -qr -- '^-[^-cHl]*[cHl]$' $rest[1]
                    test (count $rest) -ge 2; or break
                    set globals $globals $rest[1..2]
                    set rest $rest[3..-1]
                else
                    set globals $globals $rest[1]
                    set rest $rest[2..-1]
                end
            case '*'
                break
        end
    end
    switch "$rest[1]"
        case compose
            switch (__safeops_compose_verb $rest[2..-1])
                case down restart stop start
                    command docker $globals safeops $rest[2..-1]
                    return $status
                case rm
                    if __safeops_has_volume_flag $rest[2..-1]
                        __safeops_unguarded "docker compose rm -v" "run 'docker compose rm' and then 'docker safeops volume prune'"
                        return 3
                    end
            end
        case volume
            if contains -- "$rest[2]" rm remove prune
                command docker $globals safeops $rest
                return $status
            end
        case container
            if contains -- "$rest[2]" rm remove; and __safeops_has_volume_flag $rest[3..-1]
                command docker $globals safeops rm $rest[3..-1]
                return $status
            end
        case rm
            if __safeops_has_volume_flag $rest[2..-1]
                command docker $globals safeops $rest
                return $status
            end
        case system
            if test "$rest[2]" = prune; and __safeops_has_volume_flag $rest[3..-1]
                __safeops_unguarded "docker system prune --volumes" "run 'docker system prune' and then 'docker safeops volume prune'"
                return 3
            end
    end
    command docker $argv
end
function docker-compose --wraps docker-compose
    switch (__safeops_compose_verb $argv)
        case down restart stop start
            command docker safeops $argv
            return $status
        case rm
            if __safeops_has_volume_flag $argv
                __safeops_unguarded "docker-compose rm -v" "run 'docker-compose rm' and then 'docker safeops volume prune'"
                return 3
            end
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
