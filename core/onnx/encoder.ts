import type { SiameseNet } from '../nets/siamese.ts';
import { OnnxBuilder } from './builder.ts';
import { onnxModel } from './model.ts';

/**
 * The encoder f of a trained network as an ONNX model (opset 17), eval mode (BN on its
 * running statistics), as kNN and the linear probe see it. Input `images`: [N, C, H, W]
 * float32, normalised as in training (the dataset's mean and std). Outputs `features`
 * (the backbone's pooled features, what the probes read) and `z` (the projector's output).
 */
export function encoderOnnx(net: SiameseNet, channels: number, size: number): Uint8Array {
  const b = new OnnxBuilder();
  const x = b.input('images', 4);
  const h = net.backbone.onnx(b, x);
  const features = b.name(h, 'features');
  b.name(net.projector.onnx(b, h), 'z');
  return onnxModel({
    nodes: b.nodes, floats: b.floats,
    inputs: [['images', ['N', channels, size, size]]],
    outputs: [[features, ['N', net.featureDim]], ['z', ['N', net.dim]]],
  });
}
