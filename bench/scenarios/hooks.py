"""Hook calls through the kernel's per-tenant filtering versus a raw pluggy call.

``hooks.call_ratio_vs_pluggy``: a hook with 10 implementations called through
``kernel.hooks(tenant)`` (which picks the plugin manager cached for the tenant's enabled set),
against a plain ``pluggy.PluginManager`` holding the same 10 implementations; interleaved,
the ratio is the median of per-round ratios. Target: at most 1.5.
"""

from __future__ import annotations

from bench.harness import Context, measure_interleaved, scenario

IMPLEMENTATIONS = 10


def _plugins():
    from peyvand_sdk import Manifest, hookimpl

    class Contributor:
        def __init__(self, n):
            self.n = n
            self.manifest = Manifest(label={"en": f"p{n}"})

        @hookimpl
        def load_demo_data(self, tenant, plugins):
            return self.n

    return [(f"p{n}", Contributor(n), "1.0") for n in range(IMPLEMENTATIONS)]


@scenario("hooks", figures=("hooks.call_ratio_vs_pluggy", "hooks.call_us"))
def hook_call(ctx: Context) -> None:
    try:
        import pluggy

        from peyvand.config import load_settings
        from peyvand.hookspecs import PROJECT
        from peyvand.kernel import Kernel
        from peyvand.plugins import new_plugin_manager
    except ImportError as exc:
        ctx.missing(f"peyvand not installed: {exc}")

    home = ctx.tmpdir("peyvand-bench-hooks-")
    settings = load_settings(home=home, database_url=f"sqlite:///{home}/control.sqlite3")
    plugins = _plugins()
    kernel = Kernel(settings, only=[], extra_plugins=plugins)
    kernel.ensure_tenant("default")
    for name, _, _ in plugins:
        kernel.enable(name)

    raw = new_plugin_manager()
    assert raw.project_name == PROJECT and isinstance(raw, pluggy.PluginManager)
    for name, obj, _ in plugins:
        raw.register(obj, name=name)

    def through_kernel():
        return kernel.hooks("default").load_demo_data(tenant="default", plugins=())

    def raw_pluggy():
        return raw.hook.load_demo_data(tenant="default", plugins=())

    assert sorted(through_kernel()) == sorted(raw_pluggy()) == list(range(IMPLEMENTATIONS))
    inner = 2000
    fw, base = measure_interleaved(through_kernel, raw_pluggy, rounds=ctx.pick(30, 60),
                                   inner=inner, warmup=2)
    fw_us = sorted(fw)[len(fw) // 2] * 1e6
    base_us = sorted(base)[len(base) // 2] * 1e6
    ratio = sorted(a / b for a, b in zip(fw, base, strict=True))[len(fw) // 2]
    ctx.report("hooks.call_ratio_vs_pluggy", ratio, "x", db=None, baseline=None, ratio=ratio,
               kernel_us=fw_us, pluggy_us=base_us, implementations=IMPLEMENTATIONS)
    ctx.report_samples("hooks.call_us", fw, "us", base, db=None)
    kernel.storage.close()
