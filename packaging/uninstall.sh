#!/usr/bin/env bash
# Remove what install.sh put in place, exactly: it reads the install manifest and deletes only the
# files, symlink and folders listed there (folders only when empty). Your library and settings stay.
#
#   uninstall.sh [--quiet]
#
# Run it as installed (DATA/sd-desktop/app/uninstall.sh) or from the release archive / source checkout;
# DATA is $XDG_DATA_HOME, default ~/.local/share.
set -euo pipefail

main() {
    local quiet=0
    case ${1:-} in
        "") ;;
        --quiet) quiet=1 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; return 0 ;;
        *) printf 'uninstall.sh: unknown argument: %s\n' "$1" >&2; return 2 ;;
    esac

    local here data manifest app
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    data=${XDG_DATA_HOME:-$HOME/.local/share}
    if [[ -f $here/install-manifest.txt ]]; then
        manifest=$here/install-manifest.txt
    else
        manifest=$data/sd-desktop/app/install-manifest.txt
    fi
    if [[ ! -f $manifest ]]; then
        printf 'uninstall.sh: sd_desktop is not installed here (no %s)\n' "$manifest" >&2
        return 1
    fi
    app=$(dirname "$manifest")

    # read it all first: the manifest lives in the app folder that is about to go
    local -a kinds=() paths=()
    local line
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ ^[fldca]\ /. ]] || continue
        kinds+=("${line%% *}")
        paths+=("${line#? }")
    done <"$manifest"

    local i n=${#kinds[@]}
    for ((i = 0; i < n; i++)); do
        case ${kinds[i]} in
            f) rm -f -- "${paths[i]}" ;;
            l)  # only our own link: something else may have taken the name since
                if [[ -L ${paths[i]} && $(readlink -- "${paths[i]}") == "$app"/* ]]; then
                    rm -f -- "${paths[i]}"
                fi ;;
            a)
                if [[ ${paths[i]} == "$app" ]]; then
                    rm -rf -- "$app"
                fi ;;
            # a cache install.sh created goes (desktops work without one); one that was there before
            # is refreshed below
            c) rm -f -- "${paths[i]}" ;;
        esac
    done
    refresh_caches
    remove_empty_dirs

    if [[ $quiet == 0 ]]; then
        echo "sd_desktop removed from $app"
        if [[ -d $data/sd-desktop/library ]]; then
            echo "Your library was kept: $data/sd-desktop/library (delete it yourself if you no longer need it)"
        fi
    fi
}

remove_empty_dirs() {  # folders install.sh created, innermost first, each only when empty
    local j
    for ((j = ${#kinds[@]} - 1; j >= 0; j--)); do
        if [[ ${kinds[j]} == d && -d ${paths[j]} ]]; then
            rmdir -- "${paths[j]}" 2>/dev/null || true
        fi
    done
}

refresh_caches() {  # existing caches only: uninstalling never creates one
    local apps=$data/applications icons=$data/icons/hicolor
    if [[ -f $apps/mimeinfo.cache ]] && command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$apps" || true
    fi
    if [[ -f $icons/icon-theme.cache ]] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f "$icons" || true
    fi
}

main "$@"
exit $?
