"""The ``bonescan`` command: a thin layer over the library.

Exit status: 0 when all went well, 2 for bad input (one line on standard error naming the file and
the reason, no traceback unless ``--debug``), 1 for an internal error.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bonescan._files import write_bytes_atomically
from bonescan._version import __version__
from bonescan.analysis_files import write_analysis
from bonescan.anatomy import segment as segment_study
from bonescan.assessment import PrimaryCancer, analyze, result_document
from bonescan.errors import BonescanError, InputError, OutputError
from bonescan.evaluate import evaluate_anatomy, evaluate_defects, evaluate_findings
from bonescan.io import load_study
from bonescan.render import write_rendering
from bonescan.report.outputs import REPORT_FORMATS, check_formats
from bonescan.report_folder import confirm_result, remake_reports
from bonescan.segmentation_files import write_segmentation
from bonescan.simulate.cli import simulate_command
from bonescan.study import Study, ViewName
from bonescan.summary import format_summary, study_summary

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """A command group that turns bonescan's errors into one line and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except (InputError, OutputError) as error:
            _fail(error, EXIT_BAD_INPUT, debug)
        except BonescanError as error:
            _fail(error, EXIT_INTERNAL, debug)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            _fail(error, EXIT_INTERNAL, debug, internal=True)


def _fail(error: BaseException, status: int, debug: bool, internal: bool = False) -> None:
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    prefix = "internal error" if internal else "error"
    hint = " (run with --debug for details)" if internal and not debug else ""
    click.echo(f"bonescan: {prefix}: {error}{hint}", err=True)
    sys.exit(status)


def _configure_logging(verbose: int, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bonescan")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("-v", "--verbose", count=True, help="Log what bonescan does.")
def cli(debug: bool, verbose: int) -> None:
    """Bonescan: a reading assistant for whole-body bone scintigraphy."""
    _configure_logging(verbose, debug)


def input_options(command: F) -> F:
    """Add the options every command that reads a study shares."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option(
            "--anterior",
            type=click.Path(path_type=Path),
            help="Exported image of the anterior view.",
        ),
        click.option(
            "--posterior",
            type=click.Path(path_type=Path),
            help="Exported image of the posterior view.",
        ),
        click.option("--pixel-spacing", type=float, help="Pixel spacing in mm, for exported images."),
        click.option(
            "--view",
            type=click.Choice([name.value for name in ViewName]),
            help="The view of a single-view file that does not say which it is.",
        ),
    ]
    return functools.reduce(lambda wrapped, option: option(wrapped), reversed(options), command)


def _load(paths: tuple[Path, ...], options: dict[str, Any]) -> Study:
    return load_study(
        paths,
        anterior=options["anterior"],
        posterior=options["posterior"],
        pixel_spacing_mm=options["pixel_spacing"],
        view=options["view"],
    )


@cli.command()
@input_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--show-identity", is_flag=True, help="Include the patient's name, ID and birth date.")
def inspect(paths: tuple[Path, ...], as_json: bool, show_identity: bool, **options: Any) -> None:
    """Print the study summary and its quality checks."""
    summary = study_summary(_load(paths, options), include_identity=show_identity)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(format_summary(summary))


@cli.command()
@input_options
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="PNG file to write.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
def render(paths: tuple[Path, ...], output: Path, force: bool, **options: Any) -> None:
    """Write both views side by side, dark bone on white, as a PNG."""
    written = write_rendering(_load(paths, options), output, overwrite=force)
    click.echo(f"wrote {written}")


@cli.command()
@input_options
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Folder to create.")
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
def segment(paths: tuple[Path, ...], output: Path, force: bool, **options: Any) -> None:
    """Label the skeleton by region; write label maps, overlays and anatomy.json."""
    study = _load(paths, options)
    written = write_segmentation(study, segment_study(study), output, overwrite=force)
    click.echo(f"wrote {written}")


@cli.command(name="analyze")
@input_options
@click.option(
    "-o", "--out", "output", type=click.Path(path_type=Path), required=True, help="Folder to create."
)
@click.option(
    "--primary",
    type=click.Choice([cancer.value for cancer in PrimaryCancer]),
    default=PrimaryCancer.UNKNOWN.value,
    show_default=True,
    help="The patient's primary cancer, when known; it sets the pre-test probability.",
)
@click.option(
    "--pretest-probability",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=None,
    help="The share of such patients with skeletal metastases (stage, risk group), "
    "instead of the primary cancer's default.",
)
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@click.option(
    "--report",
    "reports",
    default="",
    metavar="FORMATS",
    help=f"Reports to write, comma-separated: {', '.join(REPORT_FORMATS)}.",
)
@click.option("--anonymize", is_flag=True, help="Leave identifying data out of every output.")
def analyze_command(
    paths: tuple[Path, ...],
    output: Path,
    primary: str,
    pretest_probability: float | None,
    force: bool,
    reports: str,
    anonymize: bool,
    **options: Any,
) -> None:
    """Find and judge hot and cold spots; write result.json with the BSI, the impression and reports."""
    started = time.perf_counter()
    formats = check_formats(_formats(reports))
    assessment = analyze(_load(paths, options), primary=primary, pretest_probability=pretest_probability)
    written = write_analysis(
        assessment, output, overwrite=force, reports=formats, anonymized=anonymize, started=started
    )
    click.echo(f"wrote {written}")
    click.echo(assessment.impression)


def _formats(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@cli.command(name="report")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "formats",
    default=",".join(REPORT_FORMATS),
    show_default=True,
    help="Reports to write, comma-separated.",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="An input file of the analysis, when it has moved (matched by SHA-256).",
)
@click.option("--anonymize", is_flag=True, help="Leave identifying data out of every report.")
def report_command(folder: Path, formats: str, inputs: tuple[Path, ...], anonymize: bool) -> None:
    """Make the reports of a result folder (written by bonescan analyze) again."""
    written = remake_reports(folder, _formats(formats), inputs=inputs, anonymized=anonymize or None)
    for path in written:
        click.echo(f"wrote {path}")


@cli.command(name="confirm")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--physician", required=True, help="Name of the physician who reviewed the result.")
@click.option("--comment", default="", help="A comment to keep with the confirmation.")
def confirm_command(folder: Path, physician: str, comment: str) -> None:
    """Record a physician's confirmation of a result (the patient summary then loses its draft mark)."""
    confirmation = confirm_result(folder, physician, comment)
    click.echo(f"{folder}: confirmed by {confirmation.physician}; run bonescan report {folder} to update")


def _analyze_file(path: Path) -> dict[str, Any]:
    return result_document(analyze(load_study(path)))


@cli.group()
def evaluate() -> None:
    """Measure bonescan against the truth of a simulated cohort (``bonescan simulate``)."""


@evaluate.command(name="anatomy")
@click.argument("cohort", type=click.Path(path_type=Path))
@click.option("--limit", type=int, help="Evaluate the first N scans only.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the figures here.")
def evaluate_anatomy_command(cohort: Path, limit: int | None, json_path: Path | None) -> None:
    """Dice per region of the skeleton labelling against the cohort's label maps."""
    figures = evaluate_anatomy(cohort, limit=limit).as_dict()
    click.echo(
        f"{figures['scans']} scans; mean bone Dice {figures['mean_bone_dice']:.3f}; "
        f"median {figures['median_seconds_per_study']} s per study"
    )
    for name, entry in figures["regions"].items():
        click.echo(f"  {name:<24}{entry['dice']:.3f}  ({entry['pairs']} view(s))")
    if json_path is not None:
        write_bytes_atomically(json_path, json.dumps(figures, indent=2).encode())


@evaluate.command(name="findings")
@click.argument("cohort", type=click.Path(path_type=Path))
@click.option("--limit", type=int, help="Evaluate the first N cases only.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the figures here.")
def evaluate_findings_command(cohort: Path, limit: int | None, json_path: Path | None) -> None:
    """Lesion and patient figures, BSI agreement and repeatability against the cohort's truth."""
    figures = evaluate_findings(cohort, _analyze_file, limit=limit)
    click.echo(figures.to_markdown())
    if json_path is not None:
        document = json.dumps(figures.as_dict(), indent=2).encode()
        write_bytes_atomically(json_path, document)


@evaluate.command(name="defects")
@click.argument("cohort", type=click.Path(path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds where the defects are cut.")
@click.option("--limit", type=int, help="Use the first N cases only.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the figures here.")
def evaluate_defects_command(cohort: Path, seed: int, limit: int | None, json_path: Path | None) -> None:
    """Cut clear photopenic defects into a simulated cohort: how many are found, and false cold spots."""
    figures = evaluate_defects(cohort, _analyze_study, seed=seed, limit=limit).as_dict()
    defects = figures["defects"]
    click.echo(
        f"{figures['scans']} scans: {defects['found']} of {defects['of']} defects found "
        f"({_share_text(defects['share'])}); {figures['false_cold_per_scan']} false cold finding(s) a scan"
    )
    for title, key in (("kept share", "by_kept_share"), ("region", "by_region")):
        for name, entry in figures[key].items():
            click.echo(f"  {title} {name:<24}{entry['found']}/{entry['of']}")
    if json_path is not None:
        write_bytes_atomically(json_path, json.dumps(figures, indent=2).encode())


def _analyze_study(study: Study) -> dict[str, Any]:
    return result_document(analyze(study))


def _share_text(share: float | None) -> str:
    return "none cut" if share is None else f"{share:.3f}"


cli.add_command(simulate_command, name="simulate")


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``bonescan`` console script)."""
    cli.main(args=argv, prog_name="bonescan")
