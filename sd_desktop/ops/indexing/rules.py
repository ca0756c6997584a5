"""Which entries the indexer leaves out.

Default toggles are narrow and visible: OS junk (``.DS_Store``, ``Thumbs.db``, ``desktop.ini``,
``.Trash-*``, ``lost+found`` ...) and the library's own folder. Hidden files, ``.git``, developer
folders, ``.gitignore`` files and custom globs are opt-in. ``all_entries`` (the CLI's ``--all``)
turns every rule off except the library folder, which is never indexed (the indexer writes it).

Names are compared as raw bytes (the walk uses bytes paths); only globs and ``.gitignore``
patterns go through ``os.fsdecode`` (surrogate escapes keep undecodable names matchable).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sd_desktop.ops.indexing.config import IndexerRules
from sd_desktop.volumes.backend import LOCAL, VolumeBackend

if TYPE_CHECKING:  # imported where patterns are parsed: most runs have none (17 ms of every start)
    import pathspec

OS_JUNK_NAMES = frozenset(
    {
        b".DS_Store",
        b"._.DS_Store",
        b"Thumbs.db",
        b"ehthumbs.db",
        b"desktop.ini",
        b"Desktop.ini",
        b"lost+found",
        b".Trashes",
        b".Spotlight-V100",
        b".fseventsd",
        b"$RECYCLE.BIN",
        b"System Volume Information",
    }
)
OS_JUNK_PREFIXES = (b".Trash-",)
GIT_NAMES = frozenset({b".git"})
DEV_FOLDER_NAMES = frozenset(
    {
        b"node_modules",
        b"bower_components",
        b"__pycache__",
        b".venv",
        b".tox",
        b".nox",
        b".mypy_cache",
        b".pytest_cache",
        b".ruff_cache",
        b".gradle",
        b".next",
        b".nuxt",
        b".parcel-cache",
    }
)


class RuleSet:
    """The compiled rules of one indexer run (cheap per-entry checks first)."""

    def __init__(
        self,
        rules: IndexerRules,
        *,
        all_entries: bool = False,
        root: bytes = b"",
        skip_ids: frozenset[tuple[int, int]] = frozenset(),
        backend: VolumeBackend = LOCAL,
    ):
        self.root = root
        self.backend = backend
        self.skip_ids = skip_ids  # (device, inode) of folders never indexed (the library)
        names: set[bytes] = set()
        prefixes: tuple[bytes, ...] = ()
        self.hidden = False
        self.globs: pathspec.PathSpec | None = None
        self.gitignore = False
        if not all_entries:
            if rules.ignore_os_junk:
                names |= OS_JUNK_NAMES
                prefixes += OS_JUNK_PREFIXES
            if rules.ignore_git:
                names |= GIT_NAMES
            if rules.ignore_dev_folders:
                names |= DEV_FOLDER_NAMES
            self.hidden = rules.ignore_hidden
            if rules.ignore_globs:
                import pathspec

                self.globs = pathspec.GitIgnoreSpec.from_lines(rules.ignore_globs)
            self.gitignore = rules.respect_gitignore
        self.names = frozenset(names)
        self.prefixes = prefixes
        self.has_path_rules = self.globs is not None or self.gitignore
        self._gitignore_cache: dict[bytes, pathspec.PathSpec | None] = {}

    def skip_name(self, name: bytes) -> bool:
        """Rules that look at the name alone (called for every entry: keep it cheap)."""
        if name in self.names:
            return True
        if self.hidden and name[:1] == b".":
            return True
        return bool(self.prefixes) and name.startswith(self.prefixes)

    # -- path rules (globs and .gitignore) -------------------------------------------------
    def gitignore_spec(self, dir_rel: bytes) -> pathspec.PathSpec | None:
        """The parsed ``.gitignore`` of a folder (read once, cached; None when it has none)."""
        try:
            return self._gitignore_cache[dir_rel]
        except KeyError:
            pass
        spec = None
        path = os.path.join(self.root, dir_rel, b".gitignore") if dir_rel else os.path.join(self.root, b".gitignore")
        try:
            # a regular file only: a FIFO named .gitignore must not block the walk
            with self.backend.open_read(path) as f:
                lines = f.read(1 << 20).decode("utf-8", "surrogateescape").splitlines()
            import pathspec

            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except OSError:
            spec = None
        except Exception:  # a malformed pattern must not stop the walk
            spec = None
        self._gitignore_cache[dir_rel] = spec
        return spec

    def forget(self, dir_rel: bytes) -> None:
        """Drop a folder's cached spec once its subtree cannot be visited again (bounded memory)."""
        self._gitignore_cache.pop(dir_rel, None)

    def gitignore_chain(self, dir_rel: bytes) -> list[tuple[bytes, pathspec.PathSpec]]:
        """Specs that apply inside ``dir_rel``: its own and its ancestors', root first."""
        chain = []
        parts = dir_rel.split(b"/") if dir_rel else []
        bases = [b""] + [b"/".join(parts[: i + 1]) for i in range(len(parts))]
        for base in bases:
            spec = self.gitignore_spec(base)
            if spec is not None:
                chain.append((base, spec))
        return chain

    def skip_path(self, rel: bytes, is_dir: bool, chain: list[tuple[bytes, pathspec.PathSpec]] | None) -> bool:
        """Rules that need the relative path: custom globs, then .gitignore (deepest file wins)."""
        suffix = "/" if is_dir else ""
        if self.globs is not None and self.globs.match_file(os.fsdecode(rel) + suffix):
            return True
        if chain:
            verdict = None
            for base, spec in chain:
                sub = rel[len(base) + 1 :] if base else rel
                result = spec.check_file(os.fsdecode(sub) + suffix)
                if result.include is not None:
                    verdict = result.include
            return bool(verdict)
        return False
