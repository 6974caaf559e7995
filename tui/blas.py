"""NumPy's BLAS pool for the training runs npnn-tui starts, in the app's worker and headless alike.

NOTE: on a 2-core machine a 2-thread OpenBLAS pool slows down several-fold as soon as another thread
(the UI) or process takes a core. One thread measured no slower when the machine is quiet (mnist_cnn
headless, 3 epochs of 28x28 data: 1.73-1.86 s against 1.77-2.01 s) and several times faster when it is
busy (README, "The trainer app").
"""
from threadpoolctl import threadpool_limits

BLAS_THREADS = 1


def training_blas_limit() -> threadpool_limits:
    """A context manager that runs NumPy's BLAS on BLAS_THREADS threads while training."""
    return threadpool_limits(limits=BLAS_THREADS, user_api="blas")
