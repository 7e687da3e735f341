"""PyTorch reference of simsiam-lab's training step, for `simsiam bench --compare`.

Builds the model the bench names from the same configuration fields (backbone, projector,
predictor, BN placement 'hidden+proj', symmetric negative cosine with stop-gradient, SGD
with momentum and weight decay) and times one step on random 32x32 RGB views.

Protocol (JSON lines): the first stdin line is {"config": TrainConfig, "batch": B,
"threads": T, "device": "cpu" | "cuda"}; the script answers {"ready": ..., "torch": version,
"threads": T, "device": name}. On CUDA each step ends with a synchronize, so that its wall
time is the GPU's work (fp32: TF32 off, the yardstick for fp32 WGSL kernels). Each
further line {"steps": n} runs n steps and answers {"ms": [per-step ms]}. EOF ends it.
So the caller can alternate blocks of ours and theirs in one sitting.
"""
import json
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print(json.dumps({"error": "python3 cannot import torch: on Debian, `apt-get install python3-torch` "
                      "and run with /usr/bin/python3 (set SIMSIAM_PYTHON to choose another interpreter)"}), flush=True)
    sys.exit(3)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


def resnet18_cifar(widths):
    layers = [nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)]
    cin = widths[0]
    for stage, w in enumerate(widths):
        for b in range(2):
            layers.append(BasicBlock(cin, w, 2 if b == 0 and stage > 0 else 1))
            cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), cin


def convnet(widths):
    layers, cin = [], 3
    for i, w in enumerate(widths):
        layers += [nn.Conv2d(cin, w, 3, 1 if i == 0 else 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
        cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), cin


def build(cfg):
    bb = cfg["backbone"]
    if cfg.get("bn", "hidden+proj") != "hidden+proj" or cfg["predictor"]["kind"] != "mlp":
        raise SystemExit("torch_step.py mirrors the default heads only (bn 'hidden+proj', mlp predictor)")
    if bb["kind"] == "resnet18-cifar":
        backbone, feat = resnet18_cifar(bb["widths"])
    elif bb["kind"] == "convnet":
        backbone, feat = convnet(bb["widths"])
    else:
        raise SystemExit(f"unknown backbone {bb['kind']}")
    pj = cfg["projector"]
    proj, din = [], feat
    for _ in range(pj["layers"] - 1):
        proj += [nn.Linear(din, pj["hidden"], bias=False), nn.BatchNorm1d(pj["hidden"]), nn.ReLU(inplace=True)]
        din = pj["hidden"]
    proj += [nn.Linear(din, pj["dim"], bias=False), nn.BatchNorm1d(pj["dim"], affine=pj["outputAffine"])]
    d, h = pj["dim"], cfg["predictor"]["hidden"]
    pred = nn.Sequential(nn.Linear(d, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(inplace=True), nn.Linear(h, d))
    return nn.Sequential(backbone, nn.Sequential(*proj)), pred


def main():
    setup = json.loads(sys.stdin.readline())
    cfg, batch, threads = setup["config"], setup["batch"], setup["threads"]
    dev = setup.get("device", "cpu")
    if dev == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": f"torch {torch.__version__} sees no CUDA device"}), flush=True)
        sys.exit(3)
    torch.set_num_threads(threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    # Shapes never change: let cuDNN pick its fastest algorithms (the warm-up absorbs the search).
    torch.backends.cudnn.benchmark = dev == "cuda"
    torch.manual_seed(0)
    encoder, pred = build(cfg)
    encoder.to(dev)
    pred.to(dev)
    encoder.train()
    pred.train()
    o = cfg["optimizer"]
    opt = torch.optim.SGD([{"params": encoder.parameters()}, {"params": pred.parameters()}],
                          lr=0.01, momentum=o["momentum"], weight_decay=o["weightDecay"])
    x1, x2 = torch.randn(batch, 3, 32, 32, device=dev), torch.randn(batch, 3, 32, 32, device=dev)
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)

    def step():
        z1, z2 = encoder(x1), encoder(x2)
        p1, p2 = pred(z1), pred(z2)
        loss = -(F.cosine_similarity(p1, z2.detach()).mean() + F.cosine_similarity(p2, z1.detach()).mean()) * 0.5
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()

    name = torch.cuda.get_device_name(0) if dev == "cuda" else "cpu"
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": name}), flush=True)
    for line in sys.stdin:
        n = json.loads(line)["steps"]
        ms = []
        for _ in range(n):
            t = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t) * 1000)
        print(json.dumps({"ms": ms}), flush=True)


if __name__ == "__main__":
    main()
