"""The PyTorch half of the benchmark: the U-Net of lib/model/unet.ts, layer for layer, trained
and run on the CPU with one thread. Prints one JSON line: parameters, step and inference ms.

usage: /usr/bin/python3 bench/unet_torch.py HEIGHT WIDTH BATCH BASE_FILTERS DEPTH WARMUP STEPS
"""
import json
import sys
import time

import torch
from torch import nn


def conv_block(in_channels, out_channels):
    """Two 3x3 'same' convolutions with ReLU, as LayerFactory.convBlock."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True))


class Unet(nn.Module):
    """Down: conv block then 2x2 max pool per level; bottleneck block; up: 2x2 transposed
    convolution with stride 2 (linear), concatenation [skip, up], conv block; 1x1 sigmoid."""

    def __init__(self, base_filters, depth):
        super().__init__()
        widths = [base_filters * 2 ** level for level in range(depth + 1)]
        self.down = nn.ModuleList()
        in_channels = 1
        for level in range(depth):
            self.down.append(conv_block(in_channels, widths[level]))
            in_channels = widths[level]
        self.bottleneck = conv_block(in_channels, widths[depth])
        self.up_conv = nn.ModuleList()
        self.up = nn.ModuleList()
        for level in reversed(range(depth)):
            self.up_conv.append(nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2))
            self.up.append(conv_block(2 * widths[level], widths[level]))
        self.output = nn.Conv2d(base_filters, 1, 1)
        self.pool = nn.MaxPool2d(2, 2)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, nonlinearity='relu')
                nn.init.zeros_(module.bias)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up_conv, block, skip in zip(self.up_conv, self.up, reversed(skips)):
            x = block(torch.cat([skip, up_conv(x)], dim=1))
        return torch.sigmoid(self.output(x))


def timed(warmup, count, body):
    """Wall and process-CPU milliseconds of the last `count` of warmup + count runs."""
    wall, cpu = [], []
    for i in range(warmup + count):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        body()
        if i >= warmup:
            wall.append(1000 * (time.perf_counter() - wall_start))
            cpu.append(1000 * (time.process_time() - cpu_start))
    return wall, cpu


def main():
    height, width, batch, base_filters, depth, warmup, steps = map(int, sys.argv[1:8])
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    model = Unet(base_filters, depth)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_of = nn.BCELoss()
    image = torch.rand(batch, 1, height, width)
    mask = (torch.rand(batch, 1, height, width) > 0.9).float()

    def train_step():
        optimizer.zero_grad()
        loss = loss_of(model(image), mask)
        loss.backward()
        optimizer.step()
        loss.item()

    step_ms, step_cpu_ms = timed(warmup, steps, train_step)
    model.eval()
    single = image[:1].clone()
    with torch.no_grad():
        inference_ms, inference_cpu_ms = timed(
            warmup, steps, lambda: model(single).sum().item())

    print(json.dumps({
        'parameters': sum(p.numel() for p in model.parameters()),
        'stepMs': step_ms,
        'stepCpuMs': step_cpu_ms,
        'inferenceMs': inference_ms,
        'inferenceCpuMs': inference_cpu_ms,
        'version': torch.__version__,
        'threads': torch.get_num_threads(),
    }))


if __name__ == '__main__':
    main()
