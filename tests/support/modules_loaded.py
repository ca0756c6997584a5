"""A real process that runs the console script's code (``from sd_desktop.__main__ import main``) and
then writes every module it loaded (``sys.modules`` at its end, also when the command ends the process
at once through ``os._exit``: ``sd_desktop.quick_exit``) as JSON to the file named by its first argument.

``-X importtime`` misses what ``importlib.import_module`` loads; this does not."""

# ``[sys.executable, "-c", SCRIPT, OUT_FILE, *command_args]``
SCRIPT = """
import json, os, sys
out, sys.argv = sys.argv[1], ["sd-desktop", *sys.argv[2:]]


def record():
    sys.stdout.flush()
    with open(out, "w") as f:
        json.dump(sorted(sys.modules), f)


end_now = os._exit


def recorded_exit(code):  # a command may end the process at once (``sd_desktop.quick_exit``)
    record()
    end_now(code)


os._exit = recorded_exit
from sd_desktop.__main__ import main
try:
    code = main()
except SystemExit as exc:
    code = exc.code
record()
sys.exit(code)
"""
