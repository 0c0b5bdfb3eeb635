"""`python -m bench smoke | all | b2b | gore | muni`."""

from .cli import bench_app

if __name__ == "__main__":
    bench_app(prog_name="python -m bench")
