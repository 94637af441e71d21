"""Work-speed data on request: an employee's own record of how their work was measured, day by
day, for a period of at most 90 days (what warehouse-worker laws such as California's AB 701
give a worker on request).

- ``standards``: the standards a day was scored with (one function, ``standards_applied``);
- ``days``: one day's export from its rows, pure (plain dataclasses in, plain dataclasses out);
- ``reads``: the period's rows in a fixed number of statements, streamed one day at a time;
- ``requests``: what a request may ask for (the period) and its audit entry;
- ``csv_export``: the days as CSV rows, through ``services.csv_cells``.
"""
