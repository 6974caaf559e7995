"""Where a sweep's study lives: a journal file or an SQLAlchemy URL, checked before Optuna touches it,
created once however many workers start at the same moment, with heartbeats so that a killed worker's
trial is failed and retried instead of counting as running forever.
"""
from __future__ import annotations

import errno
import fcntl
import json
import warnings
from contextlib import contextmanager
from pathlib import Path

from presets.export import MissingExtra
from presets.sweep_journal import heartbeat_journal

HEARTBEAT_SECONDS = 30  # a running trial's worker writes a heartbeat this often
GRACE_HEARTBEATS = 4    # a trial whose last heartbeat is this many intervals old is stale: failed, then retried
MAX_RETRIES = 3         # a stale trial is retried at most this often (its settings may be what kills workers)
SQLITE_MAGIC = b"SQLite format 3\x00"
JOURNAL_PROBE = 1 << 16  # a journal's first line (one JSON operation) is far shorter than this
# NOTE: one key for every npnn sweep on a server: creating Optuna's tables is once per database anyway
POSTGRES_LOCK_KEY = 0x6E706E6E_73776570  # "npnnswep"
# an OSError with one of these is the path given, not the machine (a full disk is exit 1, these exit 2)
PATH_ERRNOS = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.EACCES, errno.EPERM,
               errno.EROFS, errno.ELOOP, errno.ENXIO}
# the pip package that provides each DBAPI driver SQLAlchemy may ask for (its dialect's `driver`)
DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "pg8000": "pg8000",
                   "pymysql": "pymysql", "mysqldb": "mysqlclient", "mysqlconnector": "mysql-connector-python",
                   "mariadbconnector": "mariadb", "oracledb": "oracledb", "pyodbc": "pyodbc"}


class StorageError(ValueError):
    """--storage names something that cannot hold a study (bad URL, a directory, another program's file)."""


class StorageUnavailable(RuntimeError):
    """The storage is right but cannot be reached now (a database server down or refusing the login)."""


def create_study(optuna, storage: str | Path, study_name: str, heartbeat: int = HEARTBEAT_SECONDS, **options):
    """The study `study_name` in `storage` (a journal path or a URL), created if it does not exist yet."""
    with warnings.catch_warnings():
        # NOTE: Optuna marks heartbeats and the retry callback experimental; its warnings would add lines
        # to the command's output
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            return _create_study(optuna, str(storage), study_name, heartbeat, **options)
        except OSError as error:  # a file the journal, the SQLite database or its lock file needs
            message = f"--storage {storage}: cannot create or open it ({error.strerror or error})"
            if error.errno in PATH_ERRNOS:
                raise StorageError(message) from None
            raise StorageUnavailable(message) from None


def _retry_callback(optuna):
    """Optuna's callback that enqueues a failed trial's settings again (a WAITING trial whose system
    attributes `failed_trial` and `retry_history` name the trials it retries), at most MAX_RETRIES times."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRIES)


def retry_trial(optuna, study, frozen) -> bool:
    """Enqueue `frozen` (a failed trial) again as a stale one is; False when it was retried MAX_RETRIES
    times already. A sweep interrupted by Ctrl+C retries its trial this way."""
    if len(frozen.system_attrs.get("retry_history", [])) >= MAX_RETRIES:
        return False
    _retry_callback(optuna)(study, frozen)
    return True


def _create_study(optuna, text: str, study_name: str, heartbeat: int, **options):
    retry = _retry_callback(optuna)
    if "://" not in text:
        path = _journal_path(text)
        backend = optuna.storages.journal.JournalFileBackend(
            str(path), lock_obj=optuna.storages.journal.JournalFileOpenLock(str(path)))
        # NOTE: the journal needs no creation lock: a second create_study of one name is refused by the
        # journal's replay, and load_if_exists then loads the first one.
        storage_object = heartbeat_journal(backend, heartbeat, GRACE_HEARTBEATS * heartbeat, retry)
        return optuna.create_study(storage=storage_object, study_name=study_name, load_if_exists=True, **options)
    url = _checked_url(text)
    shown = url.render_as_string(hide_password=True)
    import sqlalchemy.exc
    try:
        with creation_lock(url):
            storage_object = optuna.storages.RDBStorage(
                text, heartbeat_interval=heartbeat, grace_period=GRACE_HEARTBEATS * heartbeat,
                heartbeat_stale_trial_callback=retry)
            return optuna.create_study(storage=storage_object, study_name=study_name, load_if_exists=True,
                                       **options)
    except sqlalchemy.exc.SQLAlchemyError as error:
        reason = _first_line(getattr(error, "orig", None) or error)
        if url.get_backend_name() == "sqlite":
            raise StorageError(f"--storage {shown}: cannot open it as an SQLite database ({reason})") from None
        raise StorageUnavailable(f"--storage {shown}: cannot use the database ({reason})") from None


def shown_storage(storage: str | Path) -> str:
    """`storage` as printed: a URL's password as ***."""
    text = str(storage)
    if "://" not in text:
        return text
    import sqlalchemy.engine
    import sqlalchemy.exc
    try:
        return sqlalchemy.engine.make_url(text).render_as_string(hide_password=True)
    except (sqlalchemy.exc.ArgumentError, ValueError):  # NOTE: refused before anything is printed
        return text


def _first_line(error) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _journal_path(text: str) -> Path:
    """A journal file path, refused unless it is new, empty or already an Optuna journal (never touched)."""
    path = Path(text)
    _refuse_special(path, text)
    if path.exists() and not _looks_like_journal(path):
        raise StorageError(f"--storage {text}: exists and is not an Optuna journal file; refusing to write to "
                           f"it (name a new file)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(f"--storage {text}: cannot create its folder {path.parent} "
                           f"({error.strerror or error})") from None
    return path


def _refuse_special(path: Path, text: str) -> None:
    if path.is_dir():
        raise StorageError(f"--storage {text}: is a directory; expected a journal file or an SQLAlchemy URL")
    if path.exists() and not path.is_file():
        raise StorageError(f"--storage {text}: is not a regular file (a FIFO or device); expected a file")


def _looks_like_journal(path: Path) -> bool:
    """True for an empty file or one whose first line is an Optuna journal operation (JSON with op_code)."""
    try:
        with path.open("rb") as file:
            head = file.read(JOURNAL_PROBE)
    except OSError as error:
        raise StorageError(f"--storage {path}: cannot read it ({error.strerror or error})") from None
    if not head:
        return True
    first, newline, _ = head.partition(b"\n")
    try:
        operation = json.loads(first)
    except ValueError:
        return False
    return bool(newline) and isinstance(operation, dict) and "op_code" in operation and "worker_id" in operation


def _checked_url(text: str):
    """The parsed URL whose dialect and driver are installed; StorageError / MissingExtra if not."""
    import sqlalchemy.engine
    import sqlalchemy.exc
    try:
        url = sqlalchemy.engine.make_url(text)
        dialect = url.get_dialect()
    except sqlalchemy.exc.NoSuchModuleError:
        scheme = text.partition("://")[0]
        raise StorageError(f"--storage {scheme}://…: unknown database scheme {scheme!r}; expected a journal file "
                           f"or sqlite:///FILE, postgresql+psycopg://…, mysql+pymysql://…") from None
    except (sqlalchemy.exc.ArgumentError, ValueError) as error:
        raise StorageError(f"--storage: not a valid database URL ({_first_line(error)})") from None
    shown = url.render_as_string(hide_password=True)
    try:
        dialect.import_dbapi()
    except ImportError:
        package = DRIVER_PACKAGES.get(dialect.driver, dialect.driver)
        raise MissingExtra(f"--storage {shown}: SQLAlchemy uses the {dialect.driver!r} driver for this URL, "
                           f"which is not installed: pip install '{package}'") from None
    if url.get_backend_name() == "sqlite":
        _check_sqlite_path(url.database, shown)
    return url


def _check_sqlite_path(database: str | None, shown: str) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        raise StorageError(f"--storage {shown}: needs a file (sqlite:///PATH), so the study outlives the process")
    path = Path(database)
    _refuse_special(path, shown)
    if not path.parent.is_dir():
        raise StorageError(f"--storage {shown}: folder {path.parent} does not exist")
    if path.exists():
        try:
            with path.open("rb") as file:
                head = file.read(len(SQLITE_MAGIC))
        except OSError as error:
            raise StorageError(f"--storage {shown}: cannot read it ({error.strerror or error})") from None
        if head and head != SQLITE_MAGIC:
            raise StorageError(f"--storage {shown}: exists and is not an SQLite database; refusing to write to "
                               f"it (name a new file)")


@contextmanager
def creation_lock(url):
    """Held while Optuna creates its tables and the study: one worker creates them, the others then find them.
    A reader opening the storage while workers may be creating it takes it too (opening initialises it).

    NOTE: without it, two workers started at once on a fresh database both create the tables, and one
    crashes (sqlite: "table studies already exists" or IntegrityError on alembic_version; PostgreSQL:
    UniqueViolation on CREATE TYPE studydirection)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        with open(f"{url.database}.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
    elif backend == "postgresql":
        with _postgres_advisory_lock(url):
            yield
    else:
        yield


@contextmanager
def _postgres_advisory_lock(url):
    import sqlalchemy
    from sqlalchemy.pool import NullPool
    engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": POSTGRES_LOCK_KEY})
    finally:
        engine.dispose()

