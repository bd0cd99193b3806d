# The seed program, unchanged except for `import chaingrad as torch` and two lines around it that make
# matplotlib draw into a file (seed_fit.png) instead of a window.
import matplotlib

matplotlib.use("Agg")

import chaingrad as torch
import numpy as np
import matplotlib.pyplot as plt
# 输入数据和真实标签
x = torch.tensor([[1.0], [2.0], [3.0]]) # 输入
y_true = torch.tensor([[2.0], [4.0], [6.0]]) # 真实标签
# 初始化权重和偏置
w = torch.tensor([[0.5]], requires_grad=False) # 权重
b = torch.tensor([0.0], requires_grad=False) # 偏置
# 学习率
lr = 0.01
# 训练过程
num_epochs = 100
for epoch in range(num_epochs):
    # 前向传播:计算模型的预测值
    y_pred = torch.matmul(x, w) + b # 预测值 = w * x + b
    # 计算损失:均方误差
    loss = 0.5 * torch.sum((y_pred - y_true) ** 2) # MSE 损失函数
    # 手动计算损失对 w 和 b 的梯度
    # 对 w 和 b 计算偏导数
    # 损失对预测值 y_pred 的偏导数
    dL_dy_pred = y_pred - y_true # 这里是 (y_pred - y_true)
    # 损失对 w 的偏导数 (梯度) 使用链式法则
    dL_dw = torch.matmul(x.T, dL_dy_pred) # 对 w 的梯度 = x.T @ (y_pred - y_true)
    # 损失对 b 的偏导数
    dL_db = torch.sum(dL_dy_pred) # 对 b 的梯度 = sum(y_pred - y_true)
    # 更新权重和偏置
    w -= lr * dL_dw
    b -= lr * dL_db
    # 打印每 10 个 epoch 的损失
    if (epoch + 1) % 10 == 0:
        print(f'Epoch [{epoch+1}/{num_epochs}], Loss: {loss.item():.4f}')
# 输出训练后的权重和偏置
print(f'Final weight: {w.item():.4f}, Final bias: {b.item():.4f}')
# 可视化训练数据和拟合的直线
plt.scatter(x.numpy(), y_true.numpy(), color='red', label='True data')
plt.plot(x.numpy(), y_pred.detach().numpy(), color='blue', label='Fitted line')
plt.xlabel('x')
plt.ylabel('y')
plt.legend()
plt.show()
plt.savefig("seed_fit.png")
