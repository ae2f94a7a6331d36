"""dlcourse: the shared package of the course.

A small NumPy reference autograd whose API mirrors PyTorch, PyTorch counterparts that run on a
GPU where one exists, offline data loaders, the book's plots and the grading helpers.
"""

__version__ = "0.1.0"
