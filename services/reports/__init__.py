"""Reports: the complaints register (and, later, the bordereau and triangles), each computed
once and written as JSON, CSV or XLSX by `services.reports.output`."""
