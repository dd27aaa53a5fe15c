#compdef docker-safeops

autoload -U is-at-least

_docker-safeops() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--config=[Location of client config files (default ~/.docker)]:DIR:_files' \
'-c+[Name of the context to use to connect to the daemon]:NAME:_default' \
'--context=[Name of the context to use to connect to the daemon]:NAME:_default' \
'*-H+[Daemon socket to connect to]:HOST:_default' \
'*--host=[Daemon socket to connect to]:HOST:_default' \
'-l+[Set the logging level]:LEVEL:((debug\:"Everything, including each engine request"
info\:"Progress of long operations"
warn\:"Only warnings and errors (the default)"
error\:"Only errors"
fatal\:"Only errors"))' \
'--log-level=[Set the logging level]:LEVEL:((debug\:"Everything, including each engine request"
info\:"Progress of long operations"
warn\:"Only warnings and errors (the default)"
error\:"Only errors"
fatal\:"Only errors"))' \
'--tlscacert=[Trust certs signed only by this CA]:FILE:_files' \
'--tlscert=[Path to TLS certificate file]:FILE:_files' \
'--tlskey=[Path to TLS key file]:FILE:_files' \
'*-f+[Compose configuration files]:FILE:_files' \
'*--file=[Compose configuration files]:FILE:_files' \
'-p+[Project name]:NAME:_default' \
'--project-name=[Project name]:NAME:_default' \
'--project-directory=[Alternate working directory (default\: the directory of the first compose file)]:DIR:_files' \
'*--env-file=[Alternate environment files]:FILE:_files' \
'*--profile=[Profiles to enable]:PROFILE:_default' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_docker-safeops_commands" \
"*::: :->docker-safeops" \
&& ret=0
    case $state in
    (docker-safeops)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:docker-safeops-command-$line[1]:"
        case $line[1] in
            (status)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:((table\:"Aligned tables for people"
json\:"One JSON document for scripts"))' \
'--config=[Location of client config files (default ~/.docker)]:DIR:_files' \
'-c+[Name of the context to use to connect to the daemon]:NAME:_default' \
'--context=[Name of the context to use to connect to the daemon]:NAME:_default' \
'*-H+[Daemon socket to connect to]:HOST:_default' \
'*--host=[Daemon socket to connect to]:HOST:_default' \
'-l+[Set the logging level]:LEVEL:((debug\:"Everything, including each engine request"
info\:"Progress of long operations"
warn\:"Only warnings and errors (the default)"
error\:"Only errors"
fatal\:"Only errors"))' \
'--log-level=[Set the logging level]:LEVEL:((debug\:"Everything, including each engine request"
info\:"Progress of long operations"
warn\:"Only warnings and errors (the default)"
error\:"Only errors"
fatal\:"Only errors"))' \
'--tlscacert=[Trust certs signed only by this CA]:FILE:_files' \
'--tlscert=[Path to TLS certificate file]:FILE:_files' \
'--tlskey=[Path to TLS key file]:FILE:_files' \
'--no-size[Do not ask the engine for volume sizes (they can be slow on big hosts)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::target -- A compose project name or a container name (default\: the project of the compose file in this directory, else every target on the engine):_default' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--config=[Location of client config files (default ~/.docker)]:DIR:_files' \
'-c+[Name of the context to use to connect to the daemon]:NAME:_default' \
'--context=[Name of the context to use to connect to the daemon]:NAME:_default' \
'*-H+[Daemon socket to connect to]:HOST:_default' \
'*--host=[Daemon socket to connect to]:HOST:_default' \
'-l+[Set the logging level]:LEVEL:((debug\:"Everything, including each engine request"
info\:"Progress of long operations"
warn\:"Only warnings and errors (the default)"
error\:"Only errors"
fatal\:"Only errors"))' \
'--log-level=[Set the logging level]:LEVEL:((debug\:"Everything, including each engine request"
info\:"Progress of long operations"
warn\:"Only warnings and errors (the default)"
error\:"Only errors"
fatal\:"Only errors"))' \
'--tlscacert=[Trust certs signed only by this CA]:FILE:_files' \
'--tlscert=[Path to TLS certificate file]:FILE:_files' \
'--tlskey=[Path to TLS key file]:FILE:_files' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':shell -- The shell to print a completion script for:((bash\:"GNU bash"
zsh\:"Z shell"
fish\:"fish"))' \
&& ret=0
;;
        esac
    ;;
esac
}

(( $+functions[_docker-safeops_commands] )) ||
_docker-safeops_commands() {
    local commands; commands=(
'status:Show targets, their mode, containers and volumes with protection, size and last backup' \
'completions:Print a shell completion script (bash, zsh or fish)' \
    )
    _describe -t commands 'docker-safeops commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__completions_commands] )) ||
_docker-safeops__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops completions commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__status_commands] )) ||
_docker-safeops__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops status commands' commands "$@"
}

if [ "$funcstack[1]" = "_docker-safeops" ]; then
    _docker-safeops "$@"
else
    compdef _docker-safeops docker-safeops
fi
