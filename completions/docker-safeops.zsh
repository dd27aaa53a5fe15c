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
'--ansi=[Control when to print ANSI control characters (passed to compose)]:WHEN:_default' \
'--progress=[Set type of progress output (passed to compose)]:TYPE:_default' \
'--parallel=[Control max parallelism (passed to compose)]:N:_default' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'--compatibility[Run compose in backward compatibility mode (passed to compose)]' \
'--dry-run[Execute the verb in dry run mode\: print the plan and change nothing]' \
'-h[Print help]' \
'--help[Print help]' \
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
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
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
(backup)
_arguments "${_arguments_options[@]}" : \
'*--to=[Backup directory or repository \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]; repeatable for repositories\: one run writes the same snapshot into each]:LOCATION:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'--metrics-file=[Write Prometheus metrics (node_exporter textfile format) to FILE after the run \[default\: the policy file'\''s \`\[metrics\] file\`\]]:FILE:_files' \
'--keep=[Keep only the newest N backups of this target (older ones are deleted after the new one is verified)]:N:_default' \
'--keep-days=[Also delete backups of this target older than D days (after the new one is verified; the newest backup is never deleted)]:D:_default' \
'-t+[Seconds each container gets to stop before it is killed]:SECONDS:_default' \
'--timeout=[Seconds each container gets to stop before it is killed]:SECONDS:_default' \
'--compression-level=[zstd compression level of the plain backup\: 1 is fastest (shortest downtime), 19 smallest \[default\: 1\]; a repository compresses at the level it was created with (\`backups init --compression-level\`)]:LEVEL:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
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
'--images[Also export the containers'\'' images]' \
'--no-quiesce[Do not stop the containers that use the volumes (the copy may be inconsistent)]' \
'--db-dump[Dump PostgreSQL/MySQL/MariaDB containers through exec, while they run]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::target -- A compose project name or a container name (default\: the project of the compose file in this directory):_default' \
&& ret=0
;;
(backups)
_arguments "${_arguments_options[@]}" : \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
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
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::target -- Only backups of this project, container or volume:_default' \
":: :_docker-safeops__subcmd__backups_commands" \
"*::: :->backups" \
&& ret=0

    case $state in
    (backups)
        words=($line[2] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:docker-safeops-backups-command-$line[2]:"
        case $line[2] in
            (init)
_arguments "${_arguments_options[@]}" : \
'--compression-level=[zstd compression level of everything written into it, by every backup\: 1 is fastest, 19 smallest \[default\: zstd'\''s own, 3\]]:LEVEL:_default' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
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
'-h[Print help]' \
'--help[Print help]' \
':location -- Where the repository goes, in restic'\''s syntax:_default' \
&& ret=0
;;
        esac
    ;;
esac
;;
(verify)
_arguments "${_arguments_options[@]}" : \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
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
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':backup -- A backup directory, or the name of one in the backup directory (with --to REPOSITORY\: a snapshot id or a unique prefix of one):_files' \
&& ret=0
;;
(restore)
_arguments "${_arguments_options[@]}" : \
'*--volume=[Restore only this volume; NAME\:NEW restores it into the volume NEW (repeatable)]:NAME[:NEW]:_default' \
'--confirm=[Confirm overwriting volumes that hold data, without a terminal\: the volume name when one volume is restored, else the backup'\''s target name]:NAME:_default' \
'*--trust-volume-options=[Create volume NAME with the driver and options the backup records even though they reach outside the engine'\''s own storage (a bind \`device\`, NFS, a plugin driver); needs confirmation like overwriting data (repeatable)]:NAME:_default' \
'-t+[Seconds each container gets to stop before it is killed]:SECONDS:_default' \
'--timeout=[Seconds each container gets to stop before it is killed]:SECONDS:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'--metrics-file=[Write Prometheus metrics (node_exporter textfile format) to FILE after the run \[default\: the policy file'\''s \`\[metrics\] file\`\]]:FILE:_files' \
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
'--no-start[Do not start the containers again after restoring]' \
'--preserve-special[Restore device nodes, FIFOs, setuid/setgid bits and file capabilities also into a volume other than the one backed up, or from a backup this host did not make (they are left out then otherwise)]' \
'--images[Also load the backup'\''s images into the engine]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':backup -- A backup directory, or the name of one in the backup directory; with --to REPOSITORY, a snapshot id (or a unique prefix of one):_files' \
&& ret=0
;;
(down)
_arguments "${_arguments_options[@]}" : \
'-v+[Remove named volumes declared in the project and anonymous volumes attached to containers (protected ones only after confirmation and a safety backup)]::BOOL:_default' \
'--volumes=[Remove named volumes declared in the project and anonymous volumes attached to containers (protected ones only after confirmation and a safety backup)]::BOOL:_default' \
'--rmi=[Remove images used by services\: "local" (no custom tag) or "all"]:TYPE:(local all)' \
'--remove-orphans=[Remove containers for services not defined in the compose file]::BOOL:_default' \
'-t+[Shutdown timeout in seconds]:SECONDS:_default' \
'--timeout=[Shutdown timeout in seconds]:SECONDS:_default' \
'--confirm=[Confirm destroying protected volumes without a terminal\: what the prompt asks for (\`down\`\: the project name; otherwise the volume name, several joined by commas)]:NAME:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'--format=[Output format (the plan with --dry-run, else what was done)]:FORMAT:((table\:"Aligned tables for people"
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
'--dry-run[Print what would be removed and change nothing]' \
'--no-backup[Do not take a safety backup of protected volumes first (part of what is confirmed)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::services -- Only these services:_default' \
&& ret=0
;;
(restart)
_arguments "${_arguments_options[@]}" : \
'-t+[Seconds to wait for each container to stop before killing it]:SECONDS:_default' \
'--timeout=[Seconds to wait for each container to stop before killing it]:SECONDS:_default' \
'--wait-timeout=[Longest wait for the containers to run (and be healthy, with a healthcheck)]:SECONDS:_default' \
'--stable-for=[How long each container must then stay up without exiting or restarting]:SECONDS:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
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
'-h[Print help]' \
'--help[Print help]' \
'*::names -- Services of the project here (or of -p), else container names:_default' \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
'-t+[Seconds to wait for each container to stop before killing it]:SECONDS:_default' \
'--timeout=[Seconds to wait for each container to stop before killing it]:SECONDS:_default' \
'--wait-timeout=[Longest wait for the containers to run (and be healthy, with a healthcheck)]:SECONDS:_default' \
'--stable-for=[How long each container must then stay up without exiting or restarting]:SECONDS:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
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
'-h[Print help]' \
'--help[Print help]' \
'*::names -- Services of the project here (or of -p), else container names:_default' \
&& ret=0
;;
(start)
_arguments "${_arguments_options[@]}" : \
'-t+[Seconds to wait for each container to stop before killing it]:SECONDS:_default' \
'--timeout=[Seconds to wait for each container to stop before killing it]:SECONDS:_default' \
'--wait-timeout=[Longest wait for the containers to run (and be healthy, with a healthcheck)]:SECONDS:_default' \
'--stable-for=[How long each container must then stay up without exiting or restarting]:SECONDS:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
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
'-h[Print help]' \
'--help[Print help]' \
'*::names -- Services of the project here (or of -p), else container names:_default' \
&& ret=0
;;
(rm)
_arguments "${_arguments_options[@]}" : \
'-f+[Force the removal of a running container]::BOOL:_default' \
'--force=[Force the removal of a running container]::BOOL:_default' \
'-v+[Remove anonymous volumes associated with the containers]::BOOL:_default' \
'--volumes=[Remove anonymous volumes associated with the containers]::BOOL:_default' \
'--confirm=[Confirm destroying protected volumes without a terminal\: what the prompt asks for (\`down\`\: the project name; otherwise the volume name, several joined by commas)]:NAME:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'--format=[Output format (the plan with --dry-run, else what was done)]:FORMAT:((table\:"Aligned tables for people"
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
'--dry-run[Print what would be removed and change nothing]' \
'--no-backup[Do not take a safety backup of protected volumes first (part of what is confirmed)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::containers -- Containers:_default' \
&& ret=0
;;
(volume)
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
'-h[Print help]' \
'--help[Print help]' \
":: :_docker-safeops__subcmd__volume_commands" \
"*::: :->volume" \
&& ret=0

    case $state in
    (volume)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:docker-safeops-volume-command-$line[1]:"
        case $line[1] in
            (rm)
_arguments "${_arguments_options[@]}" : \
'-f+[Force the removal of one or more volumes]::BOOL:_default' \
'--force=[Force the removal of one or more volumes]::BOOL:_default' \
'--confirm=[Confirm destroying protected volumes without a terminal\: what the prompt asks for (\`down\`\: the project name; otherwise the volume name, several joined by commas)]:NAME:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'--format=[Output format (the plan with --dry-run, else what was done)]:FORMAT:((table\:"Aligned tables for people"
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
'--dry-run[Print what would be removed and change nothing]' \
'--no-backup[Do not take a safety backup of protected volumes first (part of what is confirmed)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::volumes -- Volume names:_default' \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
'-a+[Remove all unused volumes, not just anonymous ones]::BOOL:_default' \
'--all=[Remove all unused volumes, not just anonymous ones]::BOOL:_default' \
'-f+[Do not prompt for confirmation (protected volumes still need theirs)]::BOOL:_default' \
'--force=[Do not prompt for confirmation (protected volumes still need theirs)]::BOOL:_default' \
'--confirm=[Confirm destroying protected volumes without a terminal\: what the prompt asks for (\`down\`\: the project name; otherwise the volume name, several joined by commas)]:NAME:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'--format=[Output format (the plan with --dry-run, else what was done)]:FORMAT:((table\:"Aligned tables for people"
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
'--dry-run[Print what would be removed and change nothing]' \
'--no-backup[Do not take a safety backup of protected volumes first (part of what is confirmed)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
        esac
    ;;
esac
;;
(recreate)
_arguments "${_arguments_options[@]}" : \
'--image=[Run it on this image (already on the engine) instead of its own]:IMAGE:_default' \
'--from=[Where to take the spec of a container that no longer exists\: a backup directory or a spec file (default\: its newest saved spec)]:BACKUP|FILE:_files' \
'--pull=[Image pull policy\: safeops never pulls]:POLICY:(never)' \
'--confirm=[Confirm --trust-spec without a terminal\: the container name]:NAME:_default' \
'-t+[Seconds the container gets to stop before it is killed \[default\: its own stop timeout (\`docker run --stop-timeout\`, compose'\''s \`stop_grace_period\`), else 10\]]:SECONDS:_default' \
'--timeout=[Seconds the container gets to stop before it is killed \[default\: its own stop timeout (\`docker run --stop-timeout\`, compose'\''s \`stop_grace_period\`), else 10\]]:SECONDS:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
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
'--trust-spec[Run a spec taken with --from even though it reaches into the host (bind mounts, privileged, capabilities, devices, host namespaces); needs confirmation]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':container -- The container name:_default' \
&& ret=0
;;
(rollback)
_arguments "${_arguments_options[@]}" : \
'--to=[Roll back to this image instead of the previous one]:IMAGE:_default' \
'-t+[Seconds the container gets to stop before it is killed \[default\: its own stop timeout (\`docker run --stop-timeout\`, compose'\''s \`stop_grace_period\`), else 10\]]:SECONDS:_default' \
'--timeout=[Seconds the container gets to stop before it is killed \[default\: its own stop timeout (\`docker run --stop-timeout\`, compose'\''s \`stop_grace_period\`), else 10\]]:SECONDS:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
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
'-h[Print help]' \
'--help[Print help]' \
':container -- The container name:_default' \
&& ret=0
;;
(images)
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
'-h[Print help]' \
'--help[Print help]' \
":: :_docker-safeops__subcmd__images_commands" \
"*::: :->images" \
&& ret=0

    case $state in
    (images)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:docker-safeops-images-command-$line[1]:"
        case $line[1] in
            (prune)
_arguments "${_arguments_options[@]}" : \
'--keep=[Keep the newest N tags of every repository]:N:_default' \
'--format=[Output format of --dry-run]:FORMAT:((table\:"Aligned tables for people"
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
'--dry-run[Print the plan and remove nothing]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
        esac
    ;;
esac
;;
(protect)
_arguments "${_arguments_options[@]}" : \
'--reason=[Why, shown by \`status\` and in confirmations]:TEXT:_default' \
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
'--allow-missing[Also for volumes that do not exist (yet) on this engine]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help]' \
'--help[Print help]' \
'*::volumes -- Volume names:_default' \
&& ret=0
;;
(unprotect)
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
'--default[Remove the volumes from the policy file instead\: the other rules (labels, x-safeops, the default) decide again]' \
'--allow-missing[Also for volumes that do not exist on this engine]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help]' \
'--help[Print help]' \
'*::volumes -- Volume names:_default' \
&& ret=0
;;
(log)
_arguments "${_arguments_options[@]}" : \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'-n+[Only the last N entries]:N:_default' \
'--tail=[Only the last N entries]:N:_default' \
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
'--verify[Check the hash chain, and the log against the heads recorded beside it and in the manifest of every backup (or snapshot) this host made; name the first problem (exit 4)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
'-p+[The project name to write into the file (\`name\:\`)]:NAME:_default' \
'--project-name=[The project name to write into the file (\`name\:\`)]:NAME:_default' \
'-o+[Write the compose file here (default\: stdout); the .env file goes beside it]:FILE:_files' \
'--output=[Write the compose file here (default\: stdout); the .env file goes beside it]:FILE:_files' \
'--format=[Output format\: the compose file, or a JSON report holding it]:FORMAT:((table\:"Aligned tables for people"
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
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::containers -- The containers (started with `docker run`):_default' \
&& ret=0
;;
(adopt)
_arguments "${_arguments_options[@]}" : \
'-p+[The compose project they become]:NAME:_default' \
'--project-name=[The compose project they become]:NAME:_default' \
'--dir=[The project directory for compose.yaml and .env (default\: ./PROJECT)]:DIR:_files' \
'-t+[Seconds each container gets to stop before it is killed]:SECONDS:_default' \
'--timeout=[Seconds each container gets to stop before it is killed]:SECONDS:_default' \
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
'--dry-run[Show the compose file and the plan; change nothing]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::containers -- The containers (started with `docker run`):_default' \
&& ret=0
;;
(release)
_arguments "${_arguments_options[@]}" : \
'--from=[The engine the image comes from\: a context name or an address (unix\://, tcp\://, ssh\://)]:ENGINE:_default' \
'--image=[The image to release, as the source engine names it \[default\: the image the same-named container runs there\]]:REF:_default' \
'--stable-for=[How long a switched container must stay up before it counts as released]:DURATION:_default' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
'-t+[Seconds the container gets to stop before it is killed \[default\: its own stop timeout (\`docker run --stop-timeout\`, compose'\''s \`stop_grace_period\`), else 10\]]:SECONDS:_default' \
'--timeout=[Seconds the container gets to stop before it is killed \[default\: its own stop timeout (\`docker run --stop-timeout\`, compose'\''s \`stop_grace_period\`), else 10\]]:SECONDS:_default' \
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
'--dry-run[Show the plan (image, layers to send, containers, rollback points); change nothing]' \
'--no-rollback[Keep a container that fails its checks on the new image instead of going back]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::names -- Containers (run mode) or compose services (compose mode) on this engine:_default' \
&& ret=0
;;
(schedule)
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
'-h[Print help]' \
'--help[Print help]' \
":: :_docker-safeops__subcmd__schedule_commands" \
"*::: :->schedule" \
&& ret=0

    case $state in
    (schedule)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:docker-safeops-schedule-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
'(--cron)--every=[Run every DURATION (whole minutes dividing an hour, hours dividing a day, 1d)]:DURATION:_default' \
'--cron=[Run at the times of a cron expression (\`MIN HOUR DOM MONTH DOW\`)]:EXPR:_default' \
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
'--dry-run[Print the systemd units and the cron.d file; install nothing]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help]' \
'--help[Print help]' \
':target -- A compose project name or a container name:_default' \
'*::backup_flags -- Flags for each `backup` run, after `--` (e.g. `-- --db-dump --keep 7 --wait-lock 600`); `--to` defaults to today'\''s backup location:_default' \
&& ret=0
;;
(ls)
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
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(rm)
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
'-h[Print help]' \
'--help[Print help]' \
':id -- The schedule'\''s id (`schedule ls` shows it):_default' \
&& ret=0
;;
        esac
    ;;
esac
;;
(drill)
_arguments "${_arguments_options[@]}" : \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
'--wait-lock=[Wait up to SECONDS for another safeops operation on the same volumes to finish (default\: fail at once, naming it)]:SECONDS:_default' \
'--metrics-file=[Write Prometheus metrics (node_exporter textfile format) to FILE after the run \[default\: the policy file'\''s \`\[metrics\] file\`\]]:FILE:_files' \
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
'--keep-running[Leave the drill'\''s containers, volumes and network running (prints how to remove them)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::what -- A backup (id or directory), or a target whose newest sound backup is drilled (default\: the project of the compose file here):_default' \
&& ret=0
;;
(doctor)
_arguments "${_arguments_options[@]}" : \
'*--check=[Run only this check (repeatable); \`--list-checks\` lists them]:ID:((engine\:"The engine\: reachable, its version, its own warnings, free space for its data"
containers\:"Containers that are down, exited soon after start, restart in a loop, are unhealthy or were killed for memory"
mounts\:"Bind sources missing on the host, volumes gone, volumes emptied since their last backup"
network\:"Container-to-container TCP connections on each network, tested for real"
firewall\:"Host firewall chains (nftables, iptables) that drop the Docker bridges'\'' traffic"
backup-age\:"Age of each target'\''s newest verified backup against the RPO; space for the next"
probes\:"HTTP/TCP probes declared by labels or the compose file"
env-guard\:"Containers whose settings name another environment'\''s hosts"))' \
'--format=[Output format]:FORMAT:((table\:"Aligned tables for people"
json\:"One JSON document for scripts"))' \
'--report=[Also write a diagnosis bundle (tar.gz, secrets redacted) to FILE]:FILE:_files' \
'--to=[Backup directory \[default\: \$SAFEOPS_BACKUP_DIR, else the policy file'\''s \`\[backup\] to\`, else ~/.local/share/docker-safeops/backups\]]:DIR:_files' \
'--password-file=[For a repository\: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) \[default\: \$SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt\]]:FILE:_files' \
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
'--list-checks[List the checks and exit]' \
'--strict[Warnings fail too (exit 1)]' \
'-D[Enable debug mode (same as --log-level debug)]' \
'--debug[Enable debug mode (same as --log-level debug)]' \
'--tls[Use TLS; implied by --tlsverify]' \
'--tlsverify[Use TLS and verify the remote]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::target -- A compose project name or a container name (default\: the project of the compose file in this directory, else every target on the engine):_default' \
&& ret=0
;;
(shell-init)
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
':shell -- The shell to print the functions for:((bash\:"GNU bash"
zsh\:"Z shell"
fish\:"fish"))' \
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
'backup:Make a verified backup of a project'\''s or container'\''s volumes, specs and files' \
'backups:List backups, newest first' \
'verify:Check a backup'\''s integrity without restoring it' \
'restore:Restore volumes (and images) from a verified backup' \
'down:Stop and remove the project'\''s containers and networks (\`compose down\`), guarded\: protected volumes are only destroyed after confirmation and a safety backup' \
'restart:Restart services or containers, then check that they run (and are healthy) and stay up' \
'stop:Stop services or containers (compose'\''s \`stop\` in compose mode)' \
'start:Start services or containers, then check that they run and stay up' \
'rm:Remove containers (\`docker rm\`), guarded when -v would remove protected volumes' \
'volume:Manage volumes (\`volume rm\`, \`volume prune\`), guarded' \
'recreate:Recreate a container from its spec (optionally on another image); bootstraps one that no longer exists from its saved spec or a backup' \
'rollback:Recreate a container on the previous image recorded in its spec history' \
'images:Image retention (\`images prune\`)' \
'protect:Protect volumes against destructive verbs (written to the policy file)' \
'unprotect:Mark volumes disposable\: no confirmation needed to destroy them' \
'log:Show the audit log of guarded operations, backups and restores' \
'export:Write a compose file for containers started with \`docker run\` (volumes and networks external, secrets in .env)' \
'adopt:Replace \`docker run\` containers by a compose project made from them (safe order, health gate, the old ones back on failure)' \
'release:Move an image from another engine without a registry (only the layers this engine lacks), switch containers or compose services over to it, check them, and roll back when it fails' \
'schedule:Scheduled backups as systemd timers or cron.d entries (\`add\`, \`ls\`, \`rm\`)' \
'drill:Restore a backup into scratch volumes, start its services in isolation, check them, measure the recovery time, remove everything (exit 1 when it failed)' \
'doctor:Find what is broken\: containers, mounts, network and firewall, backup age, probes, environment mix-ups (exit 1 when a check fails)' \
'shell-init:Print shell functions that route \`docker compose down|restart\`, \`docker-compose\` and \`docker volume rm\` through safeops (eval it in your shell'\''s rc file)' \
'completions:Print a shell completion script (bash, zsh or fish)' \
    )
    _describe -t commands 'docker-safeops commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__adopt_commands] )) ||
_docker-safeops__subcmd__adopt_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops adopt commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__backup_commands] )) ||
_docker-safeops__subcmd__backup_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops backup commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__backups_commands] )) ||
_docker-safeops__subcmd__backups_commands() {
    local commands; commands=(
'init:Create a restic-format repository (repo\:/PATH, s3\:https\://HOST/BUCKET/PREFIX, sftp\:USER@HOST\:/PATH); its password is asked for, or read from --password-file' \
    )
    _describe -t commands 'docker-safeops backups commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__backups__subcmd__init_commands] )) ||
_docker-safeops__subcmd__backups__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops backups init commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__completions_commands] )) ||
_docker-safeops__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops completions commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__doctor_commands] )) ||
_docker-safeops__subcmd__doctor_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops doctor commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__down_commands] )) ||
_docker-safeops__subcmd__down_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops down commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__drill_commands] )) ||
_docker-safeops__subcmd__drill_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops drill commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__export_commands] )) ||
_docker-safeops__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops export commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__images_commands] )) ||
_docker-safeops__subcmd__images_commands() {
    local commands; commands=(
'prune:Remove unused images, keeping used ones, the newest tags and rollback points' \
    )
    _describe -t commands 'docker-safeops images commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__images__subcmd__prune_commands] )) ||
_docker-safeops__subcmd__images__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops images prune commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__log_commands] )) ||
_docker-safeops__subcmd__log_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops log commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__protect_commands] )) ||
_docker-safeops__subcmd__protect_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops protect commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__recreate_commands] )) ||
_docker-safeops__subcmd__recreate_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops recreate commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__release_commands] )) ||
_docker-safeops__subcmd__release_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops release commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__restart_commands] )) ||
_docker-safeops__subcmd__restart_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops restart commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__restore_commands] )) ||
_docker-safeops__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops restore commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__rm_commands] )) ||
_docker-safeops__subcmd__rm_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops rm commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__rollback_commands] )) ||
_docker-safeops__subcmd__rollback_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops rollback commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__schedule_commands] )) ||
_docker-safeops__subcmd__schedule_commands() {
    local commands; commands=(
'add:Schedule backups of a target\: \`schedule add TARGET --every 1h \[-- BACKUP FLAGS...\]\`' \
'ls:List scheduled backups with their next run and last result' \
'rm:Remove a scheduled backup' \
    )
    _describe -t commands 'docker-safeops schedule commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__schedule__subcmd__add_commands] )) ||
_docker-safeops__subcmd__schedule__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops schedule add commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__schedule__subcmd__ls_commands] )) ||
_docker-safeops__subcmd__schedule__subcmd__ls_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops schedule ls commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__schedule__subcmd__rm_commands] )) ||
_docker-safeops__subcmd__schedule__subcmd__rm_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops schedule rm commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__shell-init_commands] )) ||
_docker-safeops__subcmd__shell-init_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops shell-init commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__start_commands] )) ||
_docker-safeops__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops start commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__status_commands] )) ||
_docker-safeops__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops status commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__stop_commands] )) ||
_docker-safeops__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops stop commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__unprotect_commands] )) ||
_docker-safeops__subcmd__unprotect_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops unprotect commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__verify_commands] )) ||
_docker-safeops__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops verify commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__volume_commands] )) ||
_docker-safeops__subcmd__volume_commands() {
    local commands; commands=(
'rm:Remove volumes (protected ones only after confirmation and a safety backup)' \
'prune:Remove unused volumes (anonymous ones; named ones too with --all), guarded' \
    )
    _describe -t commands 'docker-safeops volume commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__volume__subcmd__prune_commands] )) ||
_docker-safeops__subcmd__volume__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops volume prune commands' commands "$@"
}
(( $+functions[_docker-safeops__subcmd__volume__subcmd__rm_commands] )) ||
_docker-safeops__subcmd__volume__subcmd__rm_commands() {
    local commands; commands=()
    _describe -t commands 'docker-safeops volume rm commands' commands "$@"
}

if [ "$funcstack[1]" = "_docker-safeops" ]; then
    _docker-safeops "$@"
else
    compdef _docker-safeops docker-safeops
fi
