# bash completion for adbk and adbk-verify: installed under both names in
# bash-completion's folder, which loads it the first time either is completed.
# Commands, each command's options, and the arguments of the options that
# name a file, a folder or a kind. tests/install checks that it offers every
# command and every option that the programs' --help shows.

_adbk_commands='backup restore create list verify status extract salvage keygen'

# The options of each command, as its --help lists them (short and long).
_adbk_options() {
    local common_write='-r --recipient -R --recipients-file --sign'
    local common_read='-i --identity --identity-fd --trust'
    case $1 in
    backup)
        echo "-o --output --samba-conf --lock-timeout --max-freeze --server --dcsim --user
              -T --threads --chunk-size --no-truncate-logs --truncate-logs $common_write
              -f --force --xxh128 --json -q --quiet --help" ;;
    restore)
        echo "--samba-conf --samba-target --server --dcsim --allow-other-dc --user
              --allow-expired $common_read -T --threads --json -q --quiet --help" ;;
    create)
        echo "-o --output -T --threads --chunk-size -f --force --xxh128 --owner --xattrs
              $common_write --json -q --quiet --help" ;;
    list)
        echo "-l --long --json $common_read --help" ;;
    verify)
        echo "--quick -T --threads --json -q --quiet $common_read --help" ;;
    status)
        echo "--verify --verify-all --expect --tombstone-days --now -T --threads
              -v --verbose -q --quiet --json $common_read --help" ;;
    extract)
        echo "-C --directory -k --kind -O --to-stdout -f --force --owner --xattrs
              -T --threads -v --verbose --salvage $common_read --json -q --quiet --help" ;;
    salvage)
        echo "-o --output -n --dry-run -T --threads -f --force -i --identity --identity-fd
              --sign --json -q --quiet --help" ;;
    keygen)
        echo "-o --output -f --force --help" ;;
    esac
}

# Files (those ending in .$1 when given, and folders), or folders only.
_adbk_files() {
    if declare -F _filedir >/dev/null; then
        _filedir "$@"
    elif [ -n "${1:-}" ]; then
        local IFS=$'\n'
        COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X "!*.$1" -- "$cur"))
    else
        local IFS=$'\n'
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_adbk_dirs() {
    if declare -F _filedir >/dev/null; then
        _filedir -d
    else
        local IFS=$'\n'
        COMPREPLY=($(compgen -d -- "$cur"))
    fi
}

# Completes the argument of option $1 of command $2; false when $1 takes none.
_adbk_option_argument() {
    case $1 in
    -o|--output)
        if [ "$2" = keygen ]; then _adbk_files; else _adbk_files adbk; fi ;;
    --samba-conf|-R|--recipients-file|--sign|-i|--identity|--trust)
        _adbk_files ;;
    --dcsim|--samba-target|-C|--directory)
        _adbk_dirs ;;
    -k|--kind)
        COMPREPLY=($(compgen -W 'database log logs patch expiry-token checkpoint file
                                 directory unknown' -- "$cur")) ;;
    -T|--threads|--lock-timeout|--max-freeze|--chunk-size|--server|--user|-r|--recipient|\
    --identity-fd|--expect|--tombstone-days|--now)
        COMPREPLY=() ;; # a number, a name or a key: nothing to offer
    *)
        return 1 ;;
    esac
    return 0
}

# $1: the program; $2: index of the command's name in COMP_WORDS (0 for
# adbk-verify's default command, which has none).
_adbk_complete_command() {
    local cmd=$1 prev=${COMP_WORDS[COMP_CWORD-1]}
    [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ] && prev=${COMP_WORDS[COMP_CWORD-2]}
    _adbk_option_argument "$prev" "$cmd" && return
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_adbk_options "$cmd")" -- "$cur"))
        return
    fi
    case $cmd in
    create) _adbk_files ;;
    status) _adbk_files adbk ;; # archives, and the folders that hold them
    keygen) COMPREPLY=() ;;
    verify) # an archive, or '-': standard input (a pipe)
        _adbk_files adbk
        [[ -z $cur || $cur == - ]] && COMPREPLY+=(-) ;;
    extract)
        # The archive first, then member names, which only the archive knows.
        local i n=0
        for ((i = 2; i < COMP_CWORD; i++)); do
            [[ ${COMP_WORDS[i]} != -* ]] && ! _adbk_takes_argument "${COMP_WORDS[i-1]}" && n=$((n + 1))
        done
        [ "$n" -eq 0 ] && _adbk_files adbk ;;
    *) _adbk_files adbk ;;
    esac
}

_adbk_takes_argument() {
    case $1 in
    -o|--output|--samba-conf|-R|--recipients-file|--sign|-i|--identity|--trust|--dcsim|\
    --samba-target|-C|--directory|-k|--kind|-T|--threads|--lock-timeout|--max-freeze|\
    --chunk-size|--server|--user|-r|--recipient|--identity-fd|--expect|--tombstone-days|\
    --now) return 0 ;;
    esac
    return 1
}

_adbk() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$_adbk_commands help --help --version -V" -- "$cur"))
        return
    fi
    case ${COMP_WORDS[1]} in
    help)
        [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$_adbk_commands" -- "$cur")) ;;
    backup|restore|create|list|verify|status|extract|salvage|keygen)
        _adbk_complete_command "${COMP_WORDS[1]}" ;;
    esac
}

_adbk_verify() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]]; then
        _adbk_files adbk
        COMPREPLY+=($(compgen -W 'verify list help' -- "$cur"))
        return
    fi
    local cmd=verify
    [ "${COMP_WORDS[1]}" = list ] && cmd=list
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_adbk_options verify) --version -V" -- "$cur"))
        return
    fi
    if [ "${COMP_WORDS[1]}" = help ]; then
        [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W 'verify list' -- "$cur"))
        return
    fi
    _adbk_complete_command "$cmd"
}

complete -F _adbk adbk
complete -F _adbk_verify adbk-verify
