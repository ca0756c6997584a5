"""The engine served to other processes: one process per library runs the jobs (``sd-desktop
serve``, or the window) and answers the other ``sd-desktop`` commands on a local socket.

* ``address``  where the socket lives (``<library>/engine.sock``, or the runtime folder when that
  path is too long for a Unix socket) and the owner checks on both ends;
* ``protocol`` newline-delimited JSON, a versioned hello, requests, replies and job events;
* ``server``   the asyncio server a long-lived engine starts beside its ``JobManager``;
* ``client``   what a command uses instead of opening the library itself: reads go to a read-only
  connection, the few writes outside jobs and the job queue go to the engine (``remote_manager``).

Never imports Qt, the window or the commands. Serving is POSIX-only for now (Unix sockets); on
Windows the equivalent would be a named pipe, and there every command keeps opening the library
itself.
"""
