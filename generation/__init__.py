"""The trend-report engine: data, analysis, writers and jobs, without a UI."""
