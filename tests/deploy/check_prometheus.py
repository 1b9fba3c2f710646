"""deploy.prometheus: promtool accepts deploy/prometheus/prometheus.yml and alerts.yml, and
the alert rules fire as intended on made-up series (tests/deploy/alerts_test.yml)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib  # noqa: E402


def main():
    promtool = deploylib.tool("promtool", "PROMTOOL")
    print(deploylib.run([promtool, "check", "config", "deploy/prometheus/prometheus.yml"]))
    print(deploylib.run([promtool, "check", "rules", "deploy/prometheus/alerts.yml"]))
    print(deploylib.run([promtool, "test", "rules", "tests/deploy/alerts_test.yml"]))
    print("deploy.prometheus: config, rules and rule tests pass")


if __name__ == "__main__":
    main()
