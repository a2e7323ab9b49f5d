"""The structure module: from the single and pair representations to 3D atoms.

Every residue starts as a rigid frame at the origin (the "black hole" start). Eight
times, one shared layer lets the residues attend to each other with invariant point
attention, moves each frame by a small predicted rigid update, and predicts seven
torsion angles. The last layer's frames and angles give every heavy atom (SI §1.8).

Frames live in units of 10 Å inside the module (``position_scale``); the frames and
atom positions it returns are in Å.

Precision: run this module in float32 even when the trunk runs in bfloat16 (the
caller disables autocast around it): frames are composed eight times and IPA's
squared point distances lose too much precision in bfloat16.
"""

from __future__ import annotations

import torch
from torch import nn

from . import all_atom
from .geometry import Rigid, quat_to_rot
from .ipa import InvariantPointAttention


class BackboneUpdate(nn.Module):
    """SI Algorithm 23 "BackboneUpdate".

    Args:
        c_s: channels of the single representation.
    """

    def __init__(self, c_s: int = 384):
        super().__init__()
        self.linear = nn.Linear(c_s, 6)

    def forward(self, s: torch.Tensor) -> Rigid:
        """The update of every backbone frame.

        Args:
            s: [*, N_res, c_s] single representation.

        Returns:
            Rigid of shape [*, N_res]: the update T_update, applied first
            (``T_i ∘ T_update``).
        """
        # SI Alg. 23, line 1: b, c, d (the quaternion's vector part) and t, one Linear.
        # bcd, t: [*, N_res, 3]
        ### BEGIN SOLUTION
        bcd, t = self.linear(s).split(3, dim=-1)
        ### END SOLUTION

        # SI Alg. 23, lines 2-3: R from the normalised quaternion (1, b, c, d).
        # Hint: quat_to_rot normalises its input.
        # R: [*, N_res, 3, 3]
        ### BEGIN SOLUTION
        R = quat_to_rot(torch.cat([torch.ones_like(bcd[..., :1]), bcd], dim=-1))
        ### END SOLUTION
        return Rigid(R, t)


class StructureModuleTransition(nn.Module):
    """SI Algorithm 20 "StructureModule", lines 8–9: the transition of s.

    Args:
        c_s: channels of the single representation.
    """

    def __init__(self, c_s: int = 384):
        super().__init__()
        self.linear_1 = nn.Linear(c_s, c_s)
        self.linear_2 = nn.Linear(c_s, c_s)
        self.linear_3 = nn.Linear(c_s, c_s)
        self.layer_norm = nn.LayerNorm(c_s)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """s: [*, N_res, c_s] -> the new s, [*, N_res, c_s] (not an update)."""
        # SI Alg. 20, line 8: s + Linear(relu(Linear(relu(Linear(s))))), all c_s wide.
        # s: [*, N_res, c_s]
        ### BEGIN SOLUTION
        s = s + self.linear_3(torch.relu(self.linear_2(torch.relu(self.linear_1(s)))))
        ### END SOLUTION
        # SI Alg. 20, line 9: LayerNorm (the dropout is off at inference)
        ### BEGIN SOLUTION
        s = self.layer_norm(s)
        ### END SOLUTION
        return s


class AngleResnetBlock(nn.Module):
    """SI Algorithm 20 "StructureModule", line 12: one block of the angle ResNet.

    Args:
        c: hidden channels of the angle ResNet.
    """

    def __init__(self, c: int = 128):
        super().__init__()
        self.linear_1 = nn.Linear(c, c)
        self.linear_2 = nn.Linear(c, c)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """a: [*, N_res, c] -> a + Linear(relu(Linear(relu(a)))), [*, N_res, c]."""
        # SI Alg. 20, line 12. a: [*, N_res, c]
        ### BEGIN SOLUTION
        a = a + self.linear_2(torch.relu(self.linear_1(torch.relu(a))))
        ### END SOLUTION
        return a


class AngleResnet(nn.Module):
    """SI Algorithm 20 "StructureModule", lines 11–14: the torsion angles.

    Predicts, per residue, the (sin, cos) of ω, φ, ψ, χ1, χ2, χ3, χ4.

    Args:
        c_s: channels of the single representation.
        c: hidden channels.
        N_torsion: number of torsion angles.
        N_block: number of residual blocks.
    """

    def __init__(
        self, c_s: int = 384, c: int = 128, N_torsion: int = 7, N_block: int = 2
    ):
        super().__init__()
        self.N_torsion = N_torsion
        self.linear_in = nn.Linear(c_s, c)
        self.linear_initial = nn.Linear(c_s, c)
        self.blocks = nn.ModuleList([AngleResnetBlock(c) for _ in range(N_block)])
        self.linear_out = nn.Linear(c, 2 * N_torsion)

    def forward(
        self, s: torch.Tensor, s_initial: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The torsion angles of every residue.

        Args:
            s: [*, N_res, c_s] single representation of the current layer.
            s_initial: [*, N_res, c_s] the layer-normed input of the structure module.

        Returns:
            (alpha_unnormalized, alpha): [*, N_res, N_torsion, 2] each; alpha holds
            unit (sin, cos) vectors.
        """
        # SI Alg. 20, line 11: a = Linear(s) + Linear(s_initial).
        # Differs from SI: ReLU on both inputs before the Linears, as the released AF2
        # code does.
        # a: [*, N_res, c]
        ### BEGIN SOLUTION
        a = self.linear_in(torch.relu(s)) + self.linear_initial(torch.relu(s_initial))
        ### END SOLUTION

        # SI Alg. 20, lines 12-13: the residual blocks (self.blocks), one after another.
        # a: [*, N_res, c]
        ### BEGIN SOLUTION
        for block in self.blocks:
            a = block(a)
        ### END SOLUTION

        # SI Alg. 20, line 14: alpha = Linear(relu(a)), one (sin, cos) pair per torsion.
        # alpha_unnormalized: [*, N_res, N_torsion, 2]
        ### BEGIN SOLUTION
        alpha_unnormalized = self.linear_out(torch.relu(a)).unflatten(
            -1, (self.N_torsion, 2)
        )
        ### END SOLUTION

        # Unit vectors for SI Alg. 24: alpha / |alpha|.
        # Hint: AF2 divides by sqrt(max(|alpha|^2, 1e-12)).
        ### BEGIN SOLUTION
        norm2 = alpha_unnormalized.square().sum(-1, keepdim=True)
        alpha = alpha_unnormalized / torch.sqrt(torch.clamp(norm2, min=1e-12))
        ### END SOLUTION
        return alpha_unnormalized, alpha


class StructureModule(nn.Module):
    """SI Algorithm 20 "StructureModule".

    One layer (IPA, transition, backbone update, angle ResNet) applied ``N_layer``
    times with the same weights, as AF2 does.

    Args:
        c_s: channels of the single representation.
        c_z: channels of the pair representation.
        c_ipa: channels per head of IPA's scalar queries, keys and values.
        N_head: IPA heads.
        N_query_points: IPA query points per head.
        N_point_values: IPA value points per head.
        c_resnet: hidden channels of the angle ResNet.
        N_layer: number of layers (all share one set of weights).
        position_scale: Å per unit of the internal frame translations.
    """

    def __init__(
        self,
        c_s: int = 384,
        c_z: int = 128,
        c_ipa: int = 16,
        N_head: int = 12,
        N_query_points: int = 4,
        N_point_values: int = 8,
        c_resnet: int = 128,
        N_layer: int = 8,
        position_scale: float = 10.0,
    ):
        super().__init__()
        self.N_layer, self.position_scale = N_layer, position_scale
        self.layer_norm_s = nn.LayerNorm(c_s)
        self.layer_norm_z = nn.LayerNorm(c_z)
        self.linear_in = nn.Linear(c_s, c_s)
        self.invariant_point_attention = InvariantPointAttention(
            c_s, c_z, c_ipa, N_head, N_query_points, N_point_values
        )
        self.layer_norm_ipa = nn.LayerNorm(c_s)
        self.transition = StructureModuleTransition(c_s)
        self.backbone_update = BackboneUpdate(c_s)
        self.angle_resnet = AngleResnet(c_s, c_resnet)

    def forward(
        self,
        s: torch.Tensor,
        z: torch.Tensor,
        aatype: torch.Tensor,
        seq_mask: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """Frames, torsion angles and atom positions from the trunk's output.

        Args:
            s: [*, N_res, c_s] single representation.
            z: [*, N_res, N_res, c_z] pair representation.
            aatype: [*, N_res] residue types (AF order, 20 = X).
            seq_mask: [*, N_res] 1 = real residue.

        Returns:
            A dict with
            ``frames`` [N_layer, *, N_res, 4, 4] each layer's backbone frames (Å),
            ``angles``, ``unnormalized_angles`` [N_layer, *, N_res, 7, 2] (sin, cos),
            ``single`` [*, N_res, c_s] s after the last layer (the pLDDT head's input),
            ``final_atom14_positions`` [*, N_res, 14, 3] and ``final_atom14_mask``
            [*, N_res, 14], ``final_atom_positions`` [*, N_res, 37, 3] and
            ``final_atom_mask`` [*, N_res, 37] (Å, atom37 order).
        """
        # SI Alg. 20, lines 1-3: s_initial = LayerNorm(s), z = LayerNorm(z),
        # s = Linear(s_initial).
        # s_initial, s: [*, N_res, c_s]; z: [*, N_res, N_res, c_z]
        ### BEGIN SOLUTION
        s_initial = self.layer_norm_s(s)
        z = self.layer_norm_z(z)
        s = self.linear_in(s_initial)
        ### END SOLUTION

        # SI Alg. 20, line 4: every frame starts as the identity ("black hole").
        r = Rigid.identity(s.shape[:-1], dtype=s.dtype, device=s.device)

        # SI Alg. 20, line 5: the same layer N_layer times. Each layer's frames are
        # kept in Å (r is in units of position_scale Å); between layers the rotations
        # get no gradient (SI Alg. 20, line 20), after the layer's frames are kept, so
        # that the layer's outputs still pass their gradient to its rotations.
        # Hint: Rigid.scale_translation and Rigid.stop_rot_gradient.
        # frames: N_layer Rigids [*, N_res]; alphas: N_layer pairs (unnormalised, unit)
        frames, alphas = [], []
        ### BEGIN SOLUTION
        for _ in range(self.N_layer):
            s, r, alpha_unnormalized, alpha = self._layer(s, s_initial, z, r, seq_mask)
            frames.append(r.scale_translation(self.position_scale))
            alphas.append((alpha_unnormalized, alpha))
            r = r.stop_rot_gradient()
        ### END SOLUTION

        out = {
            "frames": torch.stack([f.to_tensor_4x4() for f in frames]),
            "angles": torch.stack([alpha for _, alpha in alphas]),
            "unnormalized_angles": torch.stack([raw for raw, _ in alphas]),
            "single": s,
        }
        # SI Alg. 20, line 15: the atoms of the last layer, from its frames in Å.
        out.update(self._atoms(frames[-1], alphas[-1][1], aatype))
        return out

    def _layer(
        self,
        s: torch.Tensor,
        s_initial: torch.Tensor,
        z: torch.Tensor,
        r: Rigid,
        seq_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, Rigid, torch.Tensor, torch.Tensor]:
        """SI Alg. 20, lines 6-14: one layer. Returns s, T, alpha_unnormalized, alpha"""
        # SI Alg. 20, lines 6-7: s += IPA(s, z, T); s = LayerNorm(s) (no dropout at
        # inference). s: [*, N_res, c_s]
        ### BEGIN SOLUTION
        s = s + self.invariant_point_attention(s, z, r, seq_mask)
        s = self.layer_norm_ipa(s)
        ### END SOLUTION

        # SI Alg. 20, lines 8-9: the transition. s: [*, N_res, c_s]
        ### BEGIN SOLUTION
        s = self.transition(s)
        ### END SOLUTION

        # SI Alg. 20, line 10: T_i <- T_i ∘ BackboneUpdate(s_i)
        # Hint: Rigid.compose applies its argument first. r: Rigid [*, N_res]
        ### BEGIN SOLUTION
        r = r.compose(self.backbone_update(s))
        ### END SOLUTION

        # SI Alg. 20, lines 11-14: the angle ResNet on s and s_initial.
        # alpha_unnormalized, alpha: [*, N_res, 7, 2]
        ### BEGIN SOLUTION
        alpha_unnormalized, alpha = self.angle_resnet(s, s_initial)
        ### END SOLUTION
        return s, r, alpha_unnormalized, alpha

    def _atoms(self, r: Rigid, alpha: torch.Tensor, aatype: torch.Tensor) -> dict:
        """SI Alg. 20, line 15: atom14 and atom37 positions from frames in Å.

        Args:
            r: Rigid of shape [*, N_res], the backbone frames in Å.
            alpha: [*, N_res, 7, 2] unit (sin, cos) of the torsion angles.
            aatype: [*, N_res] residue types.

        AF2 builds the atoms in every layer but returns only the last layer's.
        """
        # SI Alg. 24: the 8 rigid-group frames, then the atoms (lesson 5).
        # Hint: all_atom.torsion_angles_to_frames and all_atom.frames_to_atom14_pos.
        # atom14: [*, N_res, 14, 3]
        ### BEGIN SOLUTION
        group_frames = all_atom.torsion_angles_to_frames(r, alpha, aatype)
        atom14 = all_atom.frames_to_atom14_pos(group_frames, aatype)
        ### END SOLUTION
        masks = all_atom.make_atom14_masks(aatype)
        return {
            "final_atom14_positions": atom14,
            "final_atom14_mask": masks["atom14_atom_exists"].to(atom14.dtype),
            "final_atom_positions": all_atom.atom14_to_atom37(atom14, aatype),
            "final_atom_mask": masks["atom37_atom_exists"].to(atom14.dtype),
        }
