# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_docker_safeops_global_optspecs
    string join \n config= c/context= D/debug H/host= l/log-level= tls tlsverify tlscacert= tlscert= tlskey= f/file= p/project-name= project-directory= env-file= profile= ansi= progress= parallel= compatibility dry-run h/help V/version
end

function __fish_docker_safeops_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_docker_safeops_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_docker_safeops_using_subcommand
    set -l cmd (__fish_docker_safeops_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s f -l file -d 'Compose configuration files' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s p -l project-name -d 'Project name' -r
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l project-directory -d 'Alternate working directory (default: the directory of the first compose file)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l env-file -d 'Alternate environment files' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l profile -d 'Profiles to enable' -r
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l ansi -d 'Control when to print ANSI control characters (passed to compose)' -r
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l progress -d 'Set type of progress output (passed to compose)' -r
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l parallel -d 'Control max parallelism (passed to compose)' -r
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l compatibility -d 'Run compose in backward compatibility mode (passed to compose)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -l dry-run -d 'Execute the verb in dry run mode: print the plan and change nothing'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -s V -l version -d 'Print version'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "status" -d 'Show targets, their mode, containers and volumes with protection, size and last backup'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "backup" -d 'Make a verified backup of a project\'s or container\'s volumes, specs and files'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "backups" -d 'List backups, newest first'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "verify" -d 'Check a backup\'s integrity without restoring it'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "restore" -d 'Restore volumes (and images) from a verified backup'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "down" -d 'Stop and remove the project\'s containers and networks (`compose down`), guarded: protected volumes are only destroyed after confirmation and a safety backup'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "restart" -d 'Restart services or containers, then check that they run (and are healthy) and stay up'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "stop" -d 'Stop services or containers (compose\'s `stop` in compose mode)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "start" -d 'Start services or containers, then check that they run and stay up'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "rm" -d 'Remove containers (`docker rm`), guarded when -v would remove protected volumes'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "volume" -d 'Manage volumes (`volume rm`, `volume prune`), guarded'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "recreate" -d 'Recreate a container from its spec (optionally on another image); bootstraps one that no longer exists from its saved spec or a backup'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "rollback" -d 'Recreate a container on the previous image recorded in its spec history'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "images" -d 'Image retention (`images prune`)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "protect" -d 'Protect volumes against destructive verbs (written to the policy file)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "unprotect" -d 'Mark volumes disposable: no confirmation needed to destroy them'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "log" -d 'Show the audit log of guarded operations, backups and restores'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "export" -d 'Write a compose file for containers started with `docker run` (volumes and networks external, secrets in .env)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "adopt" -d 'Replace `docker run` containers by a compose project made from them (safe order, health gate, the old ones back on failure)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "release" -d 'Move an image from another engine without a registry (only the layers this engine lacks), switch containers or compose services over to it, check them, and roll back when it fails'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "schedule" -d 'Scheduled backups as systemd timers or cron.d entries (`add`, `ls`, `rm`)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "drill" -d 'Restore a backup into scratch volumes, start its services in isolation, check them, measure the recovery time, remove everything (exit 1 when it failed)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "doctor" -d 'Find what is broken: containers, mounts, network and firewall, backup age, probes, environment mix-ups (exit 1 when a check fails)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "shell-init" -d 'Print shell functions that route `docker compose down|restart`, `docker-compose` and `docker volume rm` through safeops (eval it in your shell\'s rc file)'
complete -c docker-safeops -n "__fish_docker_safeops_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh or fish)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l no-size -d 'Do not ask the engine for volume sizes (they can be slow on big hosts)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l to -d 'Backup directory or repository [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]; repeatable for repositories: one run writes the same snapshot into each' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l metrics-file -d 'Write Prometheus metrics (node_exporter textfile format) to FILE after the run [default: the policy file\'s `[metrics] file`]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l keep -d 'Keep only the newest N backups of this target (older ones are deleted after the new one is verified)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l keep-days -d 'Also delete backups of this target older than D days (after the new one is verified; the newest backup is never deleted)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -s t -l timeout -d 'Seconds each container gets to stop before it is killed' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l compression-level -d 'zstd compression level of the plain backup: 1 is fastest (shortest downtime), 19 smallest [default: 1]; a repository compresses at the level it was created with (`backups init --compression-level`)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l images -d 'Also export the containers\' images'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l no-quiesce -d 'Do not stop the containers that use the volumes (the copy may be inconsistent)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l db-dump -d 'Dump PostgreSQL/MySQL/MariaDB containers through exec, while they run'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and not __fish_seen_subcommand_from init" -a "init" -d 'Create a restic-format repository (repo:/PATH, s3:https://HOST/BUCKET/PREFIX, sftp:USER@HOST:/PATH); its password is asked for, or read from --password-file'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l compression-level -d 'zstd compression level of everything written into it, by every backup: 1 is fastest, 19 smallest [default: zstd\'s own, 3]' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand backups; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l volume -d 'Restore only this volume; NAME:NEW restores it into the volume NEW (repeatable)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l confirm -d 'Confirm overwriting volumes that hold data, without a terminal: the volume name when one volume is restored, else the backup\'s target name' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l trust-volume-options -d 'Create volume NAME with the driver and options the backup records even though they reach outside the engine\'s own storage (a bind `device`, NFS, a plugin driver); needs confirmation like overwriting data (repeatable)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -s t -l timeout -d 'Seconds each container gets to stop before it is killed' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l metrics-file -d 'Write Prometheus metrics (node_exporter textfile format) to FILE after the run [default: the policy file\'s `[metrics] file`]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l no-start -d 'Do not start the containers again after restoring'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l preserve-special -d 'Restore device nodes, FIFOs, setuid/setgid bits and file capabilities also into a volume other than the one backed up, or from a backup this host did not make (they are left out then otherwise)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l images -d 'Also load the backup\'s images into the engine'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -s v -l volumes -d 'Remove named volumes declared in the project and anonymous volumes attached to containers (protected ones only after confirmation and a safety backup)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l rmi -d 'Remove images used by services: "local" (no custom tag) or "all"' -r -f -a "local\t''
all\t''"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l remove-orphans -d 'Remove containers for services not defined in the compose file' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -s t -l timeout -d 'Shutdown timeout in seconds' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l confirm -d 'Confirm destroying protected volumes without a terminal: what the prompt asks for (`down`: the project name; otherwise the volume name, several joined by commas)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l format -d 'Output format (the plan with --dry-run, else what was done)' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l dry-run -d 'Print what would be removed and change nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l no-backup -d 'Do not take a safety backup of protected volumes first (part of what is confirmed)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand down" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -s t -l timeout -d 'Seconds to wait for each container to stop before killing it' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l wait-timeout -d 'Longest wait for the containers to run (and be healthy, with a healthcheck)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l stable-for -d 'How long each container must then stay up without exiting or restarting' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand restart" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -s t -l timeout -d 'Seconds to wait for each container to stop before killing it' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l wait-timeout -d 'Longest wait for the containers to run (and be healthy, with a healthcheck)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l stable-for -d 'How long each container must then stay up without exiting or restarting' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand stop" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -s t -l timeout -d 'Seconds to wait for each container to stop before killing it' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l wait-timeout -d 'Longest wait for the containers to run (and be healthy, with a healthcheck)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l stable-for -d 'How long each container must then stay up without exiting or restarting' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand start" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -s f -l force -d 'Force the removal of a running container' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -s v -l volumes -d 'Remove anonymous volumes associated with the containers' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l confirm -d 'Confirm destroying protected volumes without a terminal: what the prompt asks for (`down`: the project name; otherwise the volume name, several joined by commas)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l format -d 'Output format (the plan with --dry-run, else what was done)' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l dry-run -d 'Print what would be removed and change nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l no-backup -d 'Do not take a safety backup of protected volumes first (part of what is confirmed)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -f -a "rm" -d 'Remove volumes (protected ones only after confirmation and a safety backup)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and not __fish_seen_subcommand_from rm prune" -f -a "prune" -d 'Remove unused volumes (anonymous ones; named ones too with --all), guarded'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -s f -l force -d 'Force the removal of one or more volumes' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l confirm -d 'Confirm destroying protected volumes without a terminal: what the prompt asks for (`down`: the project name; otherwise the volume name, several joined by commas)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l format -d 'Output format (the plan with --dry-run, else what was done)' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l dry-run -d 'Print what would be removed and change nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l no-backup -d 'Do not take a safety backup of protected volumes first (part of what is confirmed)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -s a -l all -d 'Remove all unused volumes, not just anonymous ones' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not prompt for confirmation (protected volumes still need theirs)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l confirm -d 'Confirm destroying protected volumes without a terminal: what the prompt asks for (`down`: the project name; otherwise the volume name, several joined by commas)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l format -d 'Output format (the plan with --dry-run, else what was done)' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l dry-run -d 'Print what would be removed and change nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l no-backup -d 'Do not take a safety backup of protected volumes first (part of what is confirmed)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand volume; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l image -d 'Run it on this image (already on the engine) instead of its own' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l from -d 'Where to take the spec of a container that no longer exists: a backup directory or a spec file (default: its newest saved spec)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l pull -d 'Image pull policy: safeops never pulls' -r -f -a "never\t''"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l confirm -d 'Confirm --trust-spec without a terminal: the container name' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -s t -l timeout -d 'Seconds the container gets to stop before it is killed [default: its own stop timeout (`docker run --stop-timeout`, compose\'s `stop_grace_period`), else 10]' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l trust-spec -d 'Run a spec taken with --from even though it reaches into the host (bind mounts, privileged, capabilities, devices, host namespaces); needs confirmation'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand recreate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l to -d 'Roll back to this image instead of the previous one' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -s t -l timeout -d 'Seconds the container gets to stop before it is killed [default: its own stop timeout (`docker run --stop-timeout`, compose\'s `stop_grace_period`), else 10]' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and not __fish_seen_subcommand_from prune" -f -a "prune" -d 'Remove unused images, keeping used ones, the newest tags and rollback points'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l keep -d 'Keep the newest N tags of every repository' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l format -d 'Output format of --dry-run' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l dry-run -d 'Print the plan and remove nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand images; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l reason -d 'Why, shown by `status` and in confirmations' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l allow-missing -d 'Also for volumes that do not exist (yet) on this engine'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand protect" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l default -d 'Remove the volumes from the policy file instead: the other rules (labels, x-safeops, the default) decide again'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l allow-missing -d 'Also for volumes that do not exist on this engine'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand unprotect" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -s n -l tail -d 'Only the last N entries' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l verify -d 'Check the hash chain, and the log against the heads recorded beside it and in the manifest of every backup (or snapshot) this host made; name the first problem (exit 4)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -s p -l project-name -d 'The project name to write into the file (`name:`)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -s o -l output -d 'Write the compose file here (default: stdout); the .env file goes beside it' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -l format -d 'Output format: the compose file, or a JSON report holding it' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -s p -l project-name -d 'The compose project they become' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l dir -d 'The project directory for compose.yaml and .env (default: ./PROJECT)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -s t -l timeout -d 'Seconds each container gets to stop before it is killed' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l dry-run -d 'Show the compose file and the plan; change nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand adopt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l from -d 'The engine the image comes from: a context name or an address (unix://, tcp://, ssh://)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l image -d 'The image to release, as the source engine names it [default: the image the same-named container runs there]' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l stable-for -d 'How long a switched container must stay up before it counts as released' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -s t -l timeout -d 'Seconds the container gets to stop before it is killed [default: its own stop timeout (`docker run --stop-timeout`, compose\'s `stop_grace_period`), else 10]' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l dry-run -d 'Show the plan (image, layers to send, containers, rollback points); change nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l no-rollback -d 'Keep a container that fails its checks on the new image instead of going back'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand release" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -f -a "add" -d 'Schedule backups of a target: `schedule add TARGET --every 1h [-- BACKUP FLAGS...]`'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -f -a "ls" -d 'List scheduled backups with their next run and last result'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and not __fish_seen_subcommand_from add ls rm" -f -a "rm" -d 'Remove a scheduled backup'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l every -d 'Run every DURATION (whole minutes dividing an hour, hours dividing a day, 1d)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l cron -d 'Run at the times of a cron expression (`MIN HOUR DOM MONTH DOW`)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l dry-run -d 'Print the systemd units and the cron.d file; install nothing'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand schedule; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l wait-lock -d 'Wait up to SECONDS for another safeops operation on the same volumes to finish (default: fail at once, naming it)' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l metrics-file -d 'Write Prometheus metrics (node_exporter textfile format) to FILE after the run [default: the policy file\'s `[metrics] file`]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l keep-running -d 'Leave the drill\'s containers, volumes and network running (prints how to remove them)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand drill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l check -d 'Run only this check (repeatable); `--list-checks` lists them' -r -f -a "engine\t'The engine: reachable, its version, its own warnings, free space for its data'
containers\t'Containers that are down, exited soon after start, restart in a loop, are unhealthy or were killed for memory'
mounts\t'Bind sources missing on the host, volumes gone, volumes emptied since their last backup'
network\t'Container-to-container TCP connections on each network, tested for real'
firewall\t'Host firewall chains (nftables, iptables) that drop the Docker bridges\' traffic'
backup-age\t'Age of each target\'s newest verified backup against the RPO; space for the next'
probes\t'HTTP/TCP probes declared by labels or the compose file'
env-guard\t'Containers whose settings name another environment\'s hosts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l format -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'One JSON document for scripts'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l report -d 'Also write a diagnosis bundle (tar.gz, secrets redacted) to FILE' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l to -d 'Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file\'s `[backup] to`, else ~/.local/share/docker-safeops/backups]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l password-file -d 'For a repository: read its password from this file, all of it, trimmed, as restic reads it (every repository of the run) [default: $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l list-checks -d 'List the checks and exit'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l strict -d 'Warnings fail too (exit 1)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand shell-init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -l config -d 'Location of client config files (default ~/.docker)' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -s c -l context -d 'Name of the context to use to connect to the daemon' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -s H -l host -d 'Daemon socket to connect to' -r
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -s l -l log-level -d 'Set the logging level' -r -f -a "debug\t'Everything, including each engine request'
info\t'Progress of long operations'
warn\t'Only warnings and errors (the default)'
error\t'Only errors'
fatal\t'Only errors'"
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -l tlscacert -d 'Trust certs signed only by this CA' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -l tlscert -d 'Path to TLS certificate file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -l tlskey -d 'Path to TLS key file' -r -F
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -s D -l debug -d 'Enable debug mode (same as --log-level debug)'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -l tls -d 'Use TLS; implied by --tlsverify'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -l tlsverify -d 'Use TLS and verify the remote'
complete -c docker-safeops -n "__fish_docker_safeops_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
