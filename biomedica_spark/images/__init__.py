"""Images: pure Python (Pillow + numpy), no Spark.

- ``decode``     safe open of untrusted bytes: header checks, bomb guard, first frame; bad input -> quarantine
- ``normalise``  8-bit RGB/L as a viewer shows it (EXIF, alpha on white, 16-bit), border trim, export bytes
- ``hashing``    pHash-64/256 (ImageHash 4.3.2 bit for bit), Hamming helpers, information score, near-blank
- ``analyse``    bytes -> ``ImageInfo`` (one `images` row) from a single reduced decode
"""
