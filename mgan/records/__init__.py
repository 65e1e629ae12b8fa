"""What the package writes down about its work, and how: files written atomically, records without machine paths,
provenance, checksums.

- :mod:`~mgan.records.atomic_files`: atomic text, JSON, bytes and npz writes.
- :mod:`~mgan.records.portable_paths`: records scrubbed of machine paths.
- :mod:`~mgan.records.provenance`: versions, git commit and device for manifests and protocols.
"""
