"""The season: what the daily runs did, day by day (a table from the stores), and its report."""
