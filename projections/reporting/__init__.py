"""The insurer's reports' read model: each claim's declaration facts and every event that
moved its money, status, decision or closure, with business day and recorded time (the
bordereau's cut-off rule), and totals by origin month for the loss triangles (docs/adr/0029)."""
