"""SimilarPicturesJob: pictures that look alike (perceptual hashes grouped within a distance).

``grouping`` (numpy only) is importable without the job engine; the job lives in ``job``.
"""
