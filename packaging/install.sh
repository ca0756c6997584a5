#!/usr/bin/env bash
# Install the sd_desktop bundle for the current user (no root needed), so it starts from the
# applications menu and appears in "Open with" for folders.
#
#   install.sh [BUNDLE_DIR]
#
# BUNDLE_DIR is the PyInstaller one-folder bundle (the folder holding the `sd-desktop` executable);
# default: ./sd-desktop next to this script (release archive), else ../dist/sd-desktop (source checkout).
#
# Puts (DATA = $XDG_DATA_HOME, default ~/.local/share):
#   DATA/sd-desktop/app/                          the bundle, plus uninstall.sh and the install manifest
#   DATA/applications/<id>.desktop                the menu entry (Exec = the bundle's absolute path)
#   DATA/metainfo/<id>.metainfo.xml               the AppStream description (software centres)
#   DATA/icons/hicolor/<N>x<N>/apps/<id>.png      the icon, and .../scalable/apps/<id>.svg
#   ~/.local/bin/sd-desktop                       a symlink for terminal use, unless that name is taken
# Your library (DATA/sd-desktop/library by default) is never touched, by install or uninstall.
set -euo pipefail

APP_ID="io.github.sd_desktop.SdDesktop"
SIZES="16 22 24 32 48 64 128 256 512"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    usage
    exit 0
fi
if [[ $# -gt 1 ]]; then
    usage >&2
    exit 2
fi
if [[ $# -eq 1 ]]; then
    bundle=$1
elif [[ -x $here/sd-desktop/sd-desktop ]]; then
    bundle=$here/sd-desktop
else
    bundle=$here/../dist/sd-desktop
fi
[[ -d $bundle ]] || die "no bundle folder at $bundle (build one with: python packaging/build.py)"
bundle=$(cd "$bundle" && pwd)
[[ -f $bundle/sd-desktop && -x $bundle/sd-desktop ]] || die "$bundle has no executable 'sd-desktop': not an sd_desktop bundle"
res=$bundle/_internal/sd_desktop/_resources
[[ -f $res/$APP_ID.desktop ]] || die "$bundle has no resources ($res): was it built with packaging/sd_desktop.spec?"
uninstaller=$here/uninstall.sh
[[ -f $uninstaller ]] || die "uninstall.sh is missing next to install.sh ($here)"

data=${XDG_DATA_HOME:-$HOME/.local/share}
[[ $data == /* ]] || die "XDG_DATA_HOME must be an absolute path (got: $data)"
bin_dir=$HOME/.local/bin
top=$data/sd-desktop
app=$top/app
manifest_rel=install-manifest.txt

missing_dirs() {  # the folders `mkdir -p $1` would create, outermost first
    local dir=$1 out=()
    while [[ ! -d $dir ]]; do
        out=("$dir" "${out[@]}")
        dir=$(dirname "$dir")
    done
    printf '%s\n' "${out[@]}"
}

# An earlier install is removed first (its manifest says exactly what it put where); the new bundle is
# copied beside it before that, so a failed copy leaves the old install working.
created_top=$(missing_dirs "$top")
if [[ -f $app/$manifest_rel ]] && grep -Fqx "d $top" "$app/$manifest_rel"; then
    # the previous install created $top: keep its record of $top and of the parents it created
    created_top=$(sed -n 's/^d //p' "$app/$manifest_rel" | while IFS= read -r d; do
        if [[ $top == "$d" || $top == "$d"/* ]]; then printf '%s\n' "$d"; fi
    done)
fi
fresh_dirs=$(missing_dirs "$top")
mkdir -p "$top"
staging=$(mktemp -d "$top/.app-new.XXXXXX")
undo_staging() {  # a failed install leaves nothing behind, not even the folders it just created
    rm -rf "$staging"
    local d
    while IFS= read -r d; do
        [[ -n $d ]] && rmdir "$d" 2>/dev/null
    done < <(printf '%s\n' "$fresh_dirs" | tac)
    return 0
}
trap undo_staging EXIT
cp -R "$bundle/." "$staging/"
cp "$uninstaller" "$staging/uninstall.sh"
chmod 755 "$staging" "$staging/uninstall.sh"
"$staging/sd-desktop" --version >/dev/null 2>&1 || die "the copied bundle does not run ($staging/sd-desktop --version failed); nothing was changed"

if [[ -e $app ]]; then
    if [[ -x $app/uninstall.sh && -f $app/$manifest_rel ]]; then
        "$app/uninstall.sh" --quiet || die "could not remove the previous install in $app"
    else
        die "$app exists but is not an sd_desktop install (no $manifest_rel); move it away first"
    fi
fi
mv "$staging" "$app"
trap - EXIT

# Manifest lines: "f PATH" a file we wrote, "l PATH" our symlink, "d PATH" a folder we created,
# "c PATH" a cache file that did not exist before, "a PATH" the app folder. uninstall.sh undoes exactly these.
manifest=$app/$manifest_rel
: >"$manifest"
record() { printf '%s %s\n' "$1" "$2" >>"$manifest"; }
while IFS= read -r d; do
    [[ -n $d ]] && record d "$d"
done <<<"$created_top"
record a "$app"

make_dir() {  # mkdir -p that records every folder it creates
    local d
    while IFS= read -r d; do
        [[ -n $d ]] || continue
        mkdir "$d"
        record d "$d"
    done < <(missing_dirs "$1")
}

put() {  # put SOURCE DEST [MODE]
    make_dir "$(dirname "$2")"
    install -m "${3:-644}" "$1" "$2"
    record f "$2"
}

note_cache() { [[ -e $1 ]] || record c "$1"; }

# The desktop entry runs the bundle by absolute path: ~/.local/bin is often not on the session's PATH.
desktop_quote() {  # an Exec= argument, quoted and escaped per the Desktop Entry spec when needed
    local s=$1
    if [[ $s =~ ^[A-Za-z0-9/._+-]+$ ]]; then
        printf '%s' "$s"
        return
    fi
    s=${s//\\/\\\\\\\\}
    s=${s//\"/\\\\\"}
    s=${s//\$/\\\\\$}
    s=${s//\`/\\\\\`}
    s=${s//%/%%}
    printf '"%s"' "$s"
}
exe=$app/sd-desktop
exec_value=$(desktop_quote "$exe")
tryexec_value=${exe//\\/\\\\}
entry=$data/applications/$APP_ID.desktop
make_dir "$data/applications"
note_cache "$data/applications/mimeinfo.cache"
tmp_entry=$(mktemp)
while IFS= read -r line || [[ -n $line ]]; do
    case $line in
        Exec=sd-desktop*) printf 'Exec=%s%s\n' "$exec_value" "${line#Exec=sd-desktop}" ;;
        TryExec=*) printf 'TryExec=%s\n' "$tryexec_value" ;;
        *) printf '%s\n' "$line" ;;
    esac
done <"$res/$APP_ID.desktop" >"$tmp_entry"
put "$tmp_entry" "$entry"
rm -f "$tmp_entry"

put "$res/$APP_ID.metainfo.xml" "$data/metainfo/$APP_ID.metainfo.xml"

icons=$data/icons/hicolor
for n in $SIZES; do
    put "$res/icons/${n}x${n}/$APP_ID.png" "$icons/${n}x${n}/apps/$APP_ID.png"
done
put "$res/icons/$APP_ID.svg" "$icons/scalable/apps/$APP_ID.svg"

if [[ -e $bin_dir/sd-desktop || -L $bin_dir/sd-desktop ]]; then
    if [[ $(readlink "$bin_dir/sd-desktop" || true) != "$exe" ]]; then
        echo "note: $bin_dir/sd-desktop already exists (another install?); left as it is"
    fi
else
    make_dir "$bin_dir"
    ln -s "$exe" "$bin_dir/sd-desktop"
    record l "$bin_dir/sd-desktop"
fi

# Caches are optional: desktops work without them, just slower to notice the new entry and icon.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    note_cache "$icons/icon-theme.cache"
    gtk-update-icon-cache -q -t -f "$icons" || true
fi
touch "$icons" 2>/dev/null || true  # icon themes without a cache rescan on a newer folder time

echo "sd_desktop installed in $app"
echo "Start it from your applications menu, or run: $exe"
echo "Uninstall with: $app/uninstall.sh"
