"""What the committed results say: each paper claim judged from the result files (:mod:`.claims`, decided by the
rules of :mod:`.rules` on the numbers :mod:`.evidence` reads), and the results index (:mod:`.index`). Both documents
are written by ``python -m mgan.report`` and checked against the committed text by the tests, so no number in them is
typed by hand."""
